"""A Web Push service on 127.0.0.1 for the tests: what a browser's push service does with a
push, checked the way a real one checks it.

It takes the POSTs of RFC 8030, checks the VAPID authorisation of RFC 8292 (``Authorization:
vapid t=<JWT>,k=<public key>``: an ES256 JWT signed with that key, ``aud`` the endpoint's origin,
``exp`` in the future and at most a day ahead, ``sub`` present), and decrypts the payload per
RFC 8291 (``Content-Encoding: aes128gcm``) with the keys of the subscription it handed out, as
the browser would. It answers 201, or what a test tells it to (410, 500, …) for a subscription.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class Device:
    """A browser's side of a subscription: its keys, as ``PushManager.subscribe`` makes them."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        return b64encode(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64encode(self.auth_secret)

    def as_json(self) -> dict[str, Any]:
        """The subscription as ``PushSubscription.toJSON()`` gives it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass
class Received:
    """One push that arrived: its device, the decrypted message, and the request's headers."""

    device: Device
    data: dict[str, Any]
    headers: dict[str, str]


@dataclass
class PushService:
    origin: str
    #: the VAPID public key every push must be signed with (the server's)
    public_key: str
    devices: dict[str, Device] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    #: every request, accepted or not: (token, status answered)
    requests: list[tuple[str, int]] = field(default_factory=list)
    #: statuses to answer for a device, one per request, before 201 again
    answers: dict[str, list[int]] = field(default_factory=dict)
    #: what was wrong with a request refused with 400/401/403
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def device(self, *, keys: tuple[ec.EllipticCurvePrivateKey, bytes] | None = None) -> Device:
        """A new subscription at this service, with new keys (or ``keys``)."""
        token = secrets.token_urlsafe(16)
        private_key, auth = keys or (
            ec.generate_private_key(ec.SECP256R1()),
            secrets.token_bytes(16),
        )
        device = Device(f"{self.origin}/push/{token}", private_key, auth)
        self.devices[token] = device
        return device

    def answer(self, device: Device, *statuses: int) -> None:
        """Answer the next pushes to ``device`` with ``statuses``, one each."""
        self.answers[device.endpoint.rsplit("/", 1)[1]] = list(statuses)

    def to(self, device: Device) -> list[dict[str, Any]]:
        """The decrypted pushes ``device`` received, oldest first."""
        return [r.data for r in self.received if r.device is device]

    def wait_for(self, device: Device, count: int = 1, timeout: float = 15) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.to(device)) >= count:
                return self.to(device)
            time.sleep(0.05)
        return self.to(device)

    # ---- checks ------------------------------------------------------------------------------

    def check_vapid(self, authorization: str) -> str | None:
        """What is wrong with the VAPID authorisation, or None."""
        scheme, _space, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            return f"scheme {scheme!r}"
        values = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
        token, key = values.get("t", ""), values.get("k", "")
        if key != self.public_key:
            return "k is not the server's VAPID key"
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(b64decode(header_b64))
            claims = json.loads(b64decode(claims_b64))
            signature = b64decode(signature_b64)
        except ValueError as error:
            return f"not a JWT: {error}"
        if header.get("alg") != "ES256" or len(signature) != 64:
            return f"not ES256: {header}"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64decode(key))
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "bad signature"
        if claims.get("aud") != self.origin:
            return f"aud {claims.get('aud')!r} is not {self.origin!r}"
        exp = claims.get("exp")
        if not isinstance(exp, int) or not time.time() < exp <= time.time() + 24 * 3600:
            return f"exp {exp!r}"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            return f"sub {claims.get('sub')!r}"
        return None

    def handle(self, token: str, headers: dict[str, str], body: bytes) -> int:
        device = self.devices.get(token)
        if device is None:
            return 404
        problem = self.check_vapid(headers.get("authorization", ""))
        if problem is None and headers.get("content-encoding") != "aes128gcm":
            problem = f"content-encoding {headers.get('content-encoding')!r}"
        if problem is None and not headers.get("ttl", "").isdigit():
            problem = "no TTL"
        if problem is not None:
            self.errors.append(problem)
            return 403 if problem.startswith(("bad signature", "k ", "aud", "exp")) else 400
        queued = self.answers.get(token)
        if queued:
            return queued.pop(0)
        try:
            plain = http_ece.decrypt(
                body,
                private_key=device.private_key,
                auth_secret=device.auth_secret,
                version="aes128gcm",
            )
            data = json.loads(plain)
        except Exception as error:
            self.errors.append(f"cannot decrypt: {error!r}")
            return 400
        self.received.append(Received(device, data, headers))
        return 201


@contextmanager
def push_service(public_key: str) -> Iterator[PushService]:
    """A push service on a free port of 127.0.0.1, for as long as the block runs."""
    holder: dict[str, PushService] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            token = self.path.rsplit("/", 1)[-1] if self.path.startswith("/push/") else ""
            headers = {k.lower(): v for k, v in self.headers.items()}
            service = holder["service"]
            with service.lock:
                status = service.handle(token, headers, body)
                service.requests.append((token, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    holder["service"] = PushService(origin, public_key)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["service"]
    finally:
        server.shutdown()
        server.server_close()


def run_push_worker() -> None:
    """``manage.py db_worker`` over every task that is due, as the worker service runs it."""
    from django.core.management import call_command

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
