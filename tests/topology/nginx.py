"""platform/nginx.conf, run by the Debian nginx in front of daphne processes on this machine.

The file is the one the Docker image mounts. ``render`` changes only what differs between a
container and a test run, each change found exactly once in the file's active lines (the
commented-out TLS servers are left out), so that an edit of those lines fails here instead of
slipping past the tests:

- the user, and the paths of the logs, the pid file, the temporary files and ``/static/``;
- the listen address: 127.0.0.1 and a free port instead of port 80;
- the upstream servers: 127.0.0.1 ports instead of ``web1:8000 resolve`` and ``web2:8000
  resolve`` (their other parameters kept), and no ``resolver`` (Docker's 127.0.0.11).
  ``resolve`` needs nginx 1.27.3, Debian 12 has 1.22, and nothing here changes its address;
- ``set_real_ip_from``, ``real_ip_header`` and ``real_ip_recursive`` uncommented, as
  docs/DEPLOY.md tells an operator with a TLS terminator in front, trusting 127.0.0.1;
- the websocket read timeout, shortened from an hour so that a test can idle past it.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.servers import ROOT

CONFIG = ROOT / "platform" / "nginx.conf"
REAL_IP = re.compile(r"^(\s*)# (set_real_ip_from|real_ip_header|real_ip_recursive)\b")
TEMPORARY = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_program() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ["/usr/sbin/nginx"] if os.access(path, os.X_OK)), None
    )


def render(
    text: str,
    *,
    prefix: Path,
    port: int,
    static_root: Path,
    upstreams: list[int],
    trusted_proxy: str,
    websocket_timeout: str,
) -> str:
    """The configuration for a run under ``prefix``; see the module's docstring."""
    lines = []
    for line in text.splitlines():
        line = REAL_IP.sub(r"\1\2", line)
        if not line.lstrip().startswith("#"):
            lines.append(line)
    active = "\n".join(lines) + "\n"
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    temporary = "".join(f"    {kind}_temp_path  {prefix / kind};\n" for kind in TEMPORARY)
    web1, web2 = upstreams
    changes = [
        ("user  nginx;", f"user  {user} {group};"),
        ("/var/log/nginx/error.log", str(prefix / "error.log")),
        ("/var/run/nginx.pid", str(prefix / "nginx.pid")),
        ("/var/log/nginx/access.log", str(prefix / "access.log")),
        ("http {\n", "http {\n" + temporary),
        ("set_real_ip_from   172.16.0.0/12;", f"set_real_ip_from   {trusted_proxy};"),
        ("resolver  127.0.0.11  valid=10s  ipv6=off;", ""),
        ("server  web1:8000  resolve", f"server  127.0.0.1:{web1}"),
        ("server  web2:8000  resolve", f"server  127.0.0.1:{web2}"),
        ("listen       80  default_server;", f"listen       127.0.0.1:{port}  default_server;"),
        ("alias  /srv/wijkplatform/static/;", f"alias  {static_root}/;"),
        ("proxy_read_timeout  1h;", f"proxy_read_timeout  {websocket_timeout};"),
    ]
    for old, new in changes:
        count = active.count(old)
        if count != 1:
            raise AssertionError(
                f"platform/nginx.conf has {old!r} {count} times instead of once: "
                "update tests/topology/nginx.py with it"
            )
        active = active.replace(old, new)
    return active


class Nginx:
    """``nginx -g 'daemon off;'`` with the rendered configuration, in the foreground."""

    def __init__(self, prefix: Path, **options) -> None:
        program = nginx_program()
        if program is None:
            raise RuntimeError("nginx is not installed")
        self.prefix = prefix
        self.port: int = options["port"]
        for kind in TEMPORARY:
            (prefix / kind).mkdir(parents=True, exist_ok=True)
        self.config = prefix / "nginx.conf"
        self.config.write_text(render(CONFIG.read_text(), prefix=prefix, **options))
        self.access_log = prefix / "access.log"
        self.error_log = prefix / "error.log"
        command = [program, "-p", str(prefix), "-c", str(self.config), "-e", str(self.error_log)]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"nginx -t refused the configuration:\n{check.stderr}")
        self.process = subprocess.Popen(
            [*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError(f"nginx did not start:\n{self.errors()}") from None
                time.sleep(0.1)

    def errors(self) -> str:
        return self.error_log.read_text() if self.error_log.exists() else ""

    def access(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: fast shutdown
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
