"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd in a thread), collecting what it gets.

Use it as a context manager, or through the fixtures below (import them into a test module, or
list this module in ``pytest_plugins`` of the root conftest):

    with SMTPTestServer() as server:
        send(message, settings_for(server))
    server.messages[0]["Subject"]

``SMTPTestServer(credentials={"user": "secret"})`` requires AUTH; ``starttls=context`` offers
STARTTLS (and requires it before MAIL); ``implicit_tls=context`` speaks TLS from the first byte
(security = "ssl"). ``stop()`` takes the server down mid-test; ``unused_port()`` is a port
nothing listens on. ``server.hold_reply = 10`` records each message, then holds the reply to
DATA for 10 seconds: a client killed meanwhile never learns that the message was accepted.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    login: str | None  # the user name that authenticated, if any

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Collector:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.hold_reply = 0.0  # seconds between recording a message and answering DATA

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        self.received.append(
            Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), content, login)
        )
        if self.hold_reply:
            await asyncio.sleep(self.hold_reply)
        return "250 Message accepted for delivery"


class _Authenticator:
    def __init__(self, credentials: Mapping[str, str]) -> None:
        self.credentials = dict(credentials)

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if self.credentials.get(user) == password:
                return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)


class _Controller(Controller):
    """Controller bound to a socket we opened on port 0: no race for a "free" port."""

    def __init__(self, handler: Any, sock: socket.socket, **kwargs: Any) -> None:
        super().__init__(handler, hostname=HOST, port=sock.getsockname()[1], **kwargs)
        self._sock = sock

    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            # Tests may require AUTH without TLS on 127.0.0.1; that is the point, not a risk.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            smtp: SMTP = super().factory()  # type: ignore[no-untyped-call]
            return smtp

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


class SMTPTestServer:
    def __init__(
        self,
        *,
        credentials: Mapping[str, str] | None = None,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
    ) -> None:
        self._collector = _Collector()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        self.host = HOST
        self.port: int = sock.getsockname()[1]
        kwargs: dict[str, Any] = {"ssl_context": implicit_tls}
        if credentials is not None:
            kwargs["authenticator"] = _Authenticator(credentials)
            kwargs["auth_required"] = True
            # Plain AUTH LOGIN over an unencrypted socket is fine on 127.0.0.1 in tests.
            kwargs["auth_require_tls"] = starttls is not None
        if starttls is not None:
            kwargs["tls_context"] = starttls
            kwargs["require_starttls"] = True
        self._controller = _Controller(self._collector, sock, **kwargs)
        self.running = False

    @property
    def received(self) -> list[Received]:
        return self._collector.received

    @property
    def hold_reply(self) -> float:
        return self._collector.hold_reply

    @hold_reply.setter
    def hold_reply(self, seconds: float) -> None:
        self._collector.hold_reply = seconds

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self._collector.received]

    def start(self) -> SMTPTestServer:
        self._controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self.running = False
            self._controller.stop()

    def __enter__(self) -> SMTPTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port


def self_signed_cert(directory: Path) -> tuple[Path, Path] | None:
    """A throwaway certificate for 127.0.0.1, made with the openssl CLI; None without it.

    (``cryptography`` is not in the test venv; the openssl binary usually is.)
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    result = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
        check=False,
    )  # fmt: skip
    return (cert, key) if result.returncode == 0 else None


@dataclass(frozen=True)
class TLSFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this certificate (verification stays on)."""
        return ssl.create_default_context(cafile=str(self.cert))


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[SMTPTestServer]:
    """A plain SMTP server on 127.0.0.1 (no TLS, no AUTH); ``.stop()`` takes it down."""
    with SMTPTestServer() as server:
        yield server


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A self-signed certificate for 127.0.0.1; skips the test when openssl is unavailable."""
    made = self_signed_cert(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("no openssl binary to make a self-signed certificate (cryptography absent)")
    return TLSFiles(*made)
