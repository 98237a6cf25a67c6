from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project package as an app, for the site-wide template tags."""

    name = "config"
    label = "config"
