"""The portal's guards: the session secret, security headers, the login limiter, the size limit of a request body,
cross-site checks, and the server's options (``areavasta serve``)."""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request

from dashboards import accounts

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    ),
}


DASHBOARD_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:"
)


MIN_SECRET_BYTES = 32


def secret_key() -> str:
    """From AREAVASTA_SECRET, else a file outside the repository (created once with mode 600, never chmod-ed later).
    A secret shorter than 32 bytes would let anyone forge a session: the portal refuses to start with one."""
    secret = os.environ.get("AREAVASTA_SECRET")
    if secret is None:
        path = Path(os.environ.get("AREAVASTA_SECRET_FILE", Path.home() / ".config" / "areavasta" / "portal-secret"))
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(secrets.token_urlsafe(48))
        secret = path.read_text(encoding="utf-8").strip()
    if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        raise SystemExit(
            f"Il segreto delle sessioni è di {len(secret.encode('utf-8'))} byte: ne servono almeno {MIN_SECRET_BYTES} "
            "(AREAVASTA_SECRET o il file AREAVASTA_SECRET_FILE). Il portale non parte."
        )
    return secret


class LoginLimiter:
    """Failed logins, kept in the portal database so that a restart does not reset them, and bounded. Only one user name
    from one client address is blocked (after ``attempts`` failures in ``window`` seconds), never an address: behind a
    NAT or a proxy an address is a whole office. An address that fails with many names is only slowed: its failed
    answers wait longer and longer, at most ``MAX_DELAY`` seconds. Entries older than the window are pruned; at most
    ``keys`` rows."""

    MAX_DELAY = 4.0

    def __init__(
        self, settings=None, attempts: int = 5, window: float = 300, address_attempts: int = 50, keys: int = 10_000
    ):
        self.settings, self.attempts, self.window, self.address_attempts, self.keys = (
            settings,
            attempts,
            window,
            address_attempts,
            keys,
        )
        self.memory: list[tuple[str, float]] = []  # without settings (tests of the policy alone)

    def _rows(self, key: str) -> int:
        since = time.time() - self.window
        if self.settings is None:
            return sum(1 for k, at in self.memory if k == key and at > since)
        with accounts.connect(self.settings) as con:
            con.execute("DELETE FROM login_failures WHERE at <= ?", (since,))
            return con.execute("SELECT count(*) FROM login_failures WHERE key = ? AND at > ?", (key, since)).fetchone()[
                0
            ]

    def blocked(self, username: str, address: str) -> bool:
        return self._rows(f"{username}|{address}") >= self.attempts

    def delay(self, username: str, address: str) -> float:
        """Seconds to wait before answering a failed attempt: 0.25, 0.5, 1, 2 … from the user's first failure from that
        address, and likewise from the address's ``address_attempts``-th failure whatever the names; at most
        ``MAX_DELAY``."""
        steps = max(self._rows(f"{username}|{address}"), self._rows(f"@{address}") - self.address_attempts + 1)
        return min(self.MAX_DELAY, 0.25 * 2 ** (steps - 1)) if steps > 0 else 0.0

    def failed(self, username: str, address: str) -> None:
        now = time.time()
        keys = [f"{username}|{address}", f"@{address}"]
        if self.settings is None:
            self.memory = (self.memory + [(k, now) for k in keys])[-self.keys :]
            return
        with accounts.connect(self.settings) as con:
            con.executemany("INSERT INTO login_failures VALUES (?, ?)", [(k, now) for k in keys])
            con.execute(
                "DELETE FROM login_failures WHERE rowid IN (SELECT rowid FROM login_failures ORDER BY at DESC LIMIT -1"
                " OFFSET ?)",
                (self.keys,),
            )

    @property
    def size(self) -> int:
        if self.settings is None:
            return len(self.memory)
        with accounts.connect(self.settings) as con:
            return con.execute("SELECT count(*) FROM login_failures").fetchone()[0]


def server_options() -> dict:
    """uvicorn's proxy options from ``AREAVASTA_TRUSTED_PROXIES``: the reverse proxies (IP addresses or CIDR networks,
    comma-separated) whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed. Empty, the default, trusts none.
    From a trusted peer the client is the rightmost forwarded address that is not a trusted proxy; from any other peer
    the headers are ignored. A value that is not an address stops the portal: uvicorn would compare it as text and
    silently trust nothing (or, for ``*``, everyone)."""
    proxies = [item.strip() for item in os.environ.get("AREAVASTA_TRUSTED_PROXIES", "").split(",") if item.strip()]
    for item in proxies:
        try:
            ipaddress.ip_network(item)  # a single address is a network of one
        except ValueError:
            raise SystemExit(
                f"AREAVASTA_TRUSTED_PROXIES: '{item}' non è un indirizzo IP né una rete (es. 10.0.0.1 o 10.0.0.0/24). "
                "Il portale non parte."
            ) from None
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies}


FORM_BYTES = (
    64 * 1024
)  # a whole form without a file (login, logout, mapping, decisions); what an upload adds to its file


CSRF_REFUSED = "Richiesta non valida (CSRF)."


class Refusal(Exception):
    """A request refused before or while its body is read: answered ``status`` with its Italian ``message``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class BodyLimit:
    """ASGI middleware: counts each request's body while it streams, with a Content-Length or chunked, and raises
    ``Refusal(413)`` in the reader as soon as the count passes the path's limit, so nothing beyond it is read or
    spooled (Starlette's form parser closes its spooled files on the way out). It acts when the route first reads,
    so what the route checks before reading (the role, the origin, the session) comes first; a Content-Length above
    the limit is refused before any byte. ``limits`` maps a path to (bytes, message); other paths get ``default``."""

    def __init__(self, app, limits: dict[str, tuple[int, str]], default: tuple[int, str]):
        self.app, self.limits, self.default = app, limits, default

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit, message = self.limits.get(scope["path"], self.default)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        seen = 0

        async def counted():
            nonlocal seen
            if not declared.isdigit() or int(declared) > limit:
                raise Refusal(413, message)
            received = await receive()
            seen += len(received.get("body", b""))
            if seen > limit:
                raise Refusal(413, message)
            return received

        await self.app(scope, counted, send)


def cross_site(request: Request) -> bool:
    """True when the browser says that a page of another origin sent the request: ``Sec-Fetch-Site`` (sent by current
    browsers) other than same-origin, or else an ``Origin`` whose host is not the request's ``Host``. A client that
    sends neither (a script) still needs the session's CSRF token."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc != request.headers.get("host", "")
