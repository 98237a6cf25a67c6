"""Django's PostgreSQL backend on the embedded server: ``ENGINE = "core.embedded_database"``.

Everything is Django's own backend; only the host is filled in when the first connection is
made (the server's socket directory, known once it runs), so importing the settings or running
a command that needs no database starts nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, client

from core.embedded_database import bin_directory, socket_directory


class DatabaseClient(client.DatabaseClient):
    """``manage.py dbshell`` with the embedded server's own psql."""

    def runshell(self, parameters: list[str]) -> None:
        self.connection.settings_dict["HOST"] = socket_directory()
        self.executable_name = str(bin_directory() / "psql")
        super().runshell(parameters)


class DatabaseWrapper(base.DatabaseWrapper):
    client_class = DatabaseClient

    def get_connection_params(self) -> dict[str, Any]:
        # Recorded in the settings too, so that whatever reads them afterwards (a test that
        # hands the database to a daphne process, dbshell) sees where the server is.
        self.settings_dict["HOST"] = socket_directory()
        return super().get_connection_params()
