"""The fictional Heerlen demo: people, organisations, channels, articles, a case room and figures.

Loaded with ``manage.py seed_demo`` (refused with DEBUG off unless asked for). One module per
part of the platform, each using only that part's public services and models; nothing in the
platform imports this package.
"""
