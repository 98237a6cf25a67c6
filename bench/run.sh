#!/usr/bin/env bash
# `make bench`: every benchmark in its short form, a few minutes in all, printing its tables.
# `make bench FULL=1`: the full runs whose figures are in docs/BENCHMARKS.md (20 to 30 minutes),
# writing them there. Starts PostgreSQL and Redis first if they are not running, as CI does.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBIAN_FRONTEND=noninteractive
source scripts/services.sh

ensure_postgres
ensure_redis

python=.venv/bin/python
# A Redis database that no test run flushes meanwhile (the test suite uses 0).
redis_url=redis://127.0.0.1:6379/9

run() {
    printf '\n==> [%s] %s\n' "$(date -u +%H:%M:%S)" "$*"
    "$python" -m "$@"
}

if [ "${FULL:-0}" = 1 ]; then
    run bench.directory_search --write-docs
    run bench.search_scale messages --write-docs
    run bench.search_scale articles --write-docs
    run bench.fanout --redis-url "$redis_url" --write-docs
    run bench.connections --redis-url "$redis_url" --write-docs
    run bench.ceiling --redis-url "$redis_url" --write-docs
    run bench.case_reads --write-docs
    run bench.css_per_page --write-docs
else
    run bench.directory_search --quick
    run bench.search_scale messages --quick
    run bench.search_scale articles --quick
    run bench.fanout --redis-url "$redis_url" --quick
    run bench.connections --redis-url "$redis_url" --quick
    run bench.ceiling --redis-url "$redis_url" --quick
    run bench.case_reads --quick
    run bench.css_per_page
fi
printf '\n==> [%s] benchmarks done in %ss\n' "$(date -u +%H:%M:%S)" "$SECONDS"
