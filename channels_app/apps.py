from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from channels_app import revocation

        # Signing out deletes the session row, which closes that session's sockets
        # (revocation._session_deleted), as any other end of a session does.
        revocation.connect()
