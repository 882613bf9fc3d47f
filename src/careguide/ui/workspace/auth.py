"""Sign-in for the clinician workspace: signed session cookies, CSRF tokens and login throttling.

The session is a cookie holding who signed in, a random session id and the CSRF token, signed
with HMAC-SHA256. With a :class:`SessionRegistry` (the review database), every request also looks
the session up there with its account: signing out, revoking, disabling or removing an account
works in every process and across restarts, and the role is the account's current one. Sessions
expire after ``SESSION_TTL_S``.

The secret comes from ``$CAREGUIDE_SESSION_SECRET`` (at least 32 characters; set it when several
processes serve the workspace) or is made once at random and kept, readable only by its owner, in
``<index_dir>/../session-secret``, so sessions survive a restart.

Every form that changes something carries the session's CSRF token (synchronizer token); the login
form, used before there is a session, carries a token that must match a short-lived signed cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, cast

from careguide.errors import UserError
from careguide.review import ROLES, Role, User

SECRET_ENV = "CAREGUIDE_SESSION_SECRET"
MIN_SECRET_CHARS = 32
SESSION_TTL_S = 8 * 3600
"""One working shift; afterwards the clinician signs in again."""
LOGIN_TOKEN_TTL_S = 3600
MAX_COOKIE_CHARS = 4096

Clock = Callable[[], float]


class SecretError(UserError, ValueError):
    """The session secret is unusable; the message says how to fix it."""


def secret_path(data_dir: Path) -> Path:
    return data_dir / "session-secret"


def load_secret(data_dir: Path, environ: dict[str, str] | None = None) -> bytes:
    """The signing secret: ``$CAREGUIDE_SESSION_SECRET``, else one kept in ``data_dir`` (made once)."""
    env = os.environ if environ is None else environ
    given = env.get(SECRET_ENV, "")
    if given:
        if len(given) < MIN_SECRET_CHARS:
            raise SecretError(
                f"${SECRET_ENV} is shorter than {MIN_SECRET_CHARS} characters; use a long random value "
                f'(e.g. `python -c "import secrets; print(secrets.token_hex(32))"`).'
            )
        return given.encode("utf-8")
    path = secret_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:  # first start: nobody else can have written it, since O_EXCL created the file
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
    for _ in range(50):  # another process may be writing it right now
        text = path.read_text(encoding="ascii").strip()
        if len(text) >= MIN_SECRET_CHARS:
            return text.encode("ascii")
        time.sleep(0.02)
    raise SecretError(f"The session secret in {path} is damaged; delete the file and start again.")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs small JSON payloads for one purpose; a token signed for one purpose fails for another."""

    def __init__(self, secret: bytes, purpose: str) -> None:
        self._key = hmac.new(secret, f"careguide:{purpose}".encode(), hashlib.sha256).digest()

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())

    def sign(self, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
        return f"{body}.{self._mac(body)}"

    def unsign(self, token: str | None) -> dict[str, Any] | None:
        """The payload, or None when the token is missing, malformed or not signed by us."""
        if not token or len(token) > MAX_COOKIE_CHARS or token.count(".") != 1:
            return None
        body, mac = token.split(".")
        try:
            body.encode("ascii")
            if not hmac.compare_digest(mac.encode("ascii"), self._mac(body).encode("ascii")):
                return None
            payload = json.loads(_unb64(body))
        except (ValueError, UnicodeError):
            return None
        return payload if isinstance(payload, dict) else None


class SessionRegistry(Protocol):
    """Where sessions are recorded so that every process sees sign-outs and account changes
    (``ReviewStore`` implements it)."""

    def start_session(self, user_id: int, sid: str, issued_at: float, expires_at: float) -> None: ...

    def session_user(self, sid: str, now: float) -> User | None: ...

    def end_session(self, sid: str, now: float) -> None: ...


@dataclass(frozen=True)
class Session:
    """A signed-in workspace user."""

    sid: str
    user_id: int
    username: str
    role: Role
    csrf: str
    issued_at: float
    expires_at: float

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def tokens_match(expected: str, submitted: str | None) -> bool:
    """Constant-time comparison of a CSRF token with what a form or header sent."""
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), submitted.encode("utf-8", "replace"))


class Sessions:
    """Issues, reads and revokes session cookies; issues and checks login-form tokens."""

    def __init__(
        self,
        secret: bytes,
        ttl_s: float = SESSION_TTL_S,
        clock: Clock = time.time,
        registry: SessionRegistry | None = None,
    ) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self.registry = registry
        self._sessions = Signer(secret, "session")
        self._login = Signer(secret, "login")
        self._flash = Signer(secret, "flash")
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, user: User) -> tuple[Session, str]:
        """A new session for ``user`` and its cookie value (new id and CSRF token at every sign-in)."""
        now = self.clock()
        session = Session(
            sid=secrets.token_urlsafe(18),
            user_id=user.id,
            username=user.username,
            role=user.role,
            csrf=secrets.token_urlsafe(24),
            issued_at=now,
            expires_at=now + self.ttl_s,
        )
        payload = {
            "sid": session.sid,
            "uid": session.user_id,
            "u": session.username,
            "r": session.role,
            "csrf": session.csrf,
            "iat": session.issued_at,
            "exp": session.expires_at,
        }
        if self.registry is not None:
            self.registry.start_session(user.id, session.sid, session.issued_at, session.expires_at)
        return session, self._sessions.sign(payload)

    def read(self, cookie: str | None) -> Session | None:
        """The session of a cookie, or None when it is missing, forged, expired or signed out."""
        payload = self._sessions.unsign(cookie)
        if payload is None:
            return None
        try:
            session = Session(
                sid=str(payload["sid"]),
                user_id=int(payload["uid"]),
                username=str(payload["u"]),
                role=cast(Role, str(payload["r"])),
                csrf=str(payload["csrf"]),
                issued_at=float(payload["iat"]),
                expires_at=float(payload["exp"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        now = self.clock()
        if session.role not in ROLES or not (session.issued_at <= now + 60 and now < session.expires_at):
            return None
        with self._lock:
            if session.sid in self._revoked:
                return None
        if self.registry is None:
            return session
        user = self.registry.session_user(session.sid, now)
        if user is None or user.id != session.user_id:
            return None
        return replace(session, username=user.username, role=user.role)  # the role as it is now

    def revoke(self, session: Session) -> None:
        """Sign out: this session id is refused until it would have expired anyway."""
        now = self.clock()
        with self._lock:
            self._revoked = {sid: until for sid, until in self._revoked.items() if until > now}
            self._revoked[session.sid] = session.expires_at
        if self.registry is not None:
            self.registry.end_session(session.sid, now)

    def login_token(self) -> tuple[str, str]:
        """A token for the login form and the cookie value that must come back with it."""
        token = secrets.token_urlsafe(24)
        return token, self._login.sign({"t": token, "exp": self.clock() + LOGIN_TOKEN_TTL_S})

    def login_token_ok(self, cookie: str | None, submitted: str | None) -> bool:
        payload = self._login.unsign(cookie)
        if payload is None:
            return False
        try:
            fresh = float(payload["exp"]) > self.clock()
            expected = str(payload["t"])
        except (KeyError, TypeError, ValueError):
            return False
        return fresh and tokens_match(expected, submitted)

    def flash(self, message: str, kind: str = "info") -> str:
        """A one-time message for the next page (signed, so a link cannot plant text in it)."""
        return self._flash.sign({"m": message[:500], "k": kind, "exp": self.clock() + 300})

    def read_flash(self, cookie: str | None) -> tuple[str, str] | None:
        payload = self._flash.unsign(cookie)
        if payload is None:
            return None
        try:
            if float(payload["exp"]) <= self.clock():
                return None
            return str(payload["m"]), str(payload["k"])
        except (KeyError, TypeError, ValueError):
            return None


class FailureLog(Protocol):
    """Where failed sign-ins are counted: this process's memory (:class:`MemoryFailures`, one
    process) or the review database (``review.login_failures.DatabaseFailures``, shared by every
    app process behind a proxy, so a guesser gains nothing by being sent to another process)."""

    def times(self, keys: Sequence[str], since: float) -> dict[str, list[float]]:
        """The failure times after ``since`` of each key that has any, oldest first."""
        ...

    def add(self, keys: Sequence[str], at: float) -> None: ...

    def remove(self, keys: Sequence[str]) -> None: ...

    def remove_prefix(self, prefix: str) -> int:
        """Forget every key starting with ``prefix``; returns how many keys there were."""
        ...


class MemoryFailures:
    """Failed sign-ins in this process's memory (the single-process default)."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def times(self, keys: Sequence[str], since: float) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        with self._lock:
            for key in keys:
                kept = [t for t in self._failures.get(key, []) if t > since]
                if kept:
                    self._failures[key] = kept
                    found[key] = kept
                else:
                    self._failures.pop(key, None)
        return found

    def add(self, keys: Sequence[str], at: float) -> None:
        with self._lock:
            if len(self._failures) > self.max_keys:  # an address sweep: forget the oldest entries
                for key in list(self._failures)[: self.max_keys // 2]:
                    del self._failures[key]
            for key in keys:
                self._failures.setdefault(key, []).append(at)

    def remove(self, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def remove_prefix(self, prefix: str) -> int:
        with self._lock:
            gone = [key for key in self._failures if key.startswith(prefix)]
            for key in gone:
                del self._failures[key]
        return len(gone)


class Throttle:
    """Slows sign-in after repeated failures for one key, with a wait that doubles each time.

    Keys are an account *at an address* and an address alone, so a stranger elsewhere cannot lock
    a clinician out; bcrypt already makes every guess cost ~0.2 s. An administrator can clear the
    keys of an account (:meth:`clear`). The failures are kept in a :class:`FailureLog`; times are
    wall-clock seconds, so that several processes can share one log.
    """

    def __init__(
        self,
        limit: int = 5,
        window_s: float = 900,
        clock: Clock = time.time,
        base_wait_s: float = 30,
        max_wait_s: float = 900,
        log: FailureLog | None = None,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.base_wait_s = base_wait_s
        self.max_wait_s = max_wait_s
        self.log: FailureLog = log if log is not None else MemoryFailures()

    def _wait(self, recent: list[float], now: float) -> float:
        over = len(recent) - self.limit
        if over < 0:
            return 0.0
        wait = min(self.base_wait_s * float(2**over), self.max_wait_s)
        return max(0.0, recent[-1] + wait - now)

    def wait_s(self, *keys: str) -> float:
        """Seconds until another attempt is allowed (0 when it is allowed now)."""
        now = self.clock()
        found = self.log.times(keys, now - self.window_s)
        return max((self._wait(found.get(key, []), now) for key in keys), default=0.0)

    def failed(self, *keys: str) -> None:
        self.log.add(keys, self.clock())

    def succeeded(self, *keys: str) -> None:
        self.log.remove(keys)

    def clear(self, prefix: str) -> int:
        """Forget the failures of every key starting with ``prefix``; returns how many keys."""
        return self.log.remove_prefix(prefix)


def client_address(peer: str | None, headers: Mapping[str, str], trusted_header: str = "") -> str:
    """The client's address: the connecting peer, or, behind a reverse proxy configured in
    ``web.trusted_proxy_header``, the last entry of that header (the one the proxy itself added;
    earlier entries come from the client and could be anything)."""
    if trusted_header:
        value = headers.get(trusted_header.lower(), "")
        entries = [part.strip() for part in value.split(",") if part.strip()]
        if entries:
            return entries[-1][:64]
    return peer or "-"
