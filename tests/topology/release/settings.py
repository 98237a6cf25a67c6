"""The platform's settings with the next release's app installed (see ``__init__``)."""

from config import settings as _base

globals().update({name: getattr(_base, name) for name in dir(_base) if name.isupper()})
INSTALLED_APPS = [*_base.INSTALLED_APPS, "tests.topology.release.apps.ReleaseConfig"]
