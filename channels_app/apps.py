from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from channels_app import revocation

        user_logged_out.connect(_close_sockets_of_session, dispatch_uid="close-sockets-on-logout")
        revocation.connect()


def _close_sockets_of_session(sender, request, user, **kwargs) -> None:
    from channels_app.protocol import end_session_sockets

    session = getattr(request, "session", None)
    end_session_sockets(getattr(session, "session_key", None))
