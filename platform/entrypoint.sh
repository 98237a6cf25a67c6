#!/bin/sh
# Container entrypoint for the Wijkplatform web image.
#
# Exactly one container of a deployment sets MIGRATE=1: it applies the database migrations and
# fills the shared static-files volume before it starts serving. The others start straight away
# (docker-compose makes them wait until that container is healthy).
set -eu

if [ "${MIGRATE:-0}" = "1" ]; then
    echo "entrypoint: applying database migrations"
    python manage.py migrate --noinput
    echo "entrypoint: collecting static files into ${STATIC_ROOT:-staticfiles}"
    python manage.py collectstatic --noinput
fi

exec "$@"
