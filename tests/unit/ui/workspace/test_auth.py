"""Workspace sign-in helpers: signed cookies, sessions, CSRF and login tokens, throttling, secrets."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import pytest

from careguide.review import User
from careguide.ui.workspace import safe_next
from careguide.ui.workspace.auth import (
    MIN_SECRET_CHARS,
    SECRET_ENV,
    SecretError,
    Sessions,
    Signer,
    Throttle,
    client_address,
    load_secret,
    tokens_match,
)

SECRET = b"s" * 32
ALICE = User(id=7, username="alice", role="clinician", created_at=datetime(2026, 1, 1, tzinfo=UTC))


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_signed_payloads_refuse_tampering_and_other_purposes() -> None:
    signer = Signer(SECRET, "session")
    token = signer.sign({"u": "alice", "r": "clinician"})
    assert signer.unsign(token) == {"u": "alice", "r": "clinician"}
    body, mac = token.split(".")
    forged = Signer(SECRET, "session").sign({"u": "alice", "r": "admin"}).split(".")[0]
    assert signer.unsign(f"{forged}.{mac}") is None  # a changed payload with the old signature
    assert signer.unsign(f"{body}.{mac[:-2]}AA") is None
    assert Signer(SECRET, "login").unsign(token) is None
    assert Signer(b"t" * 32, "session").unsign(token) is None
    for junk in (None, "", "abc", "a.b.c", "é.é", "x" * 5000, f"{body}."):
        assert signer.unsign(junk) is None


def test_sessions_expire_and_can_be_revoked() -> None:
    clock = Clock()
    sessions = Sessions(SECRET, ttl_s=100, clock=clock)
    session, cookie = sessions.issue(ALICE)
    read = sessions.read(cookie)
    assert read == session and read.username == "alice" and read.role == "clinician" and not read.is_admin
    other, other_cookie = sessions.issue(ALICE)
    assert other.sid != session.sid and other.csrf != session.csrf  # fresh ids at every sign-in
    clock.now += 99
    assert sessions.read(cookie) is not None
    clock.now += 2
    assert sessions.read(cookie) is None  # expired
    clock.now -= 50
    sessions.revoke(session)
    assert sessions.read(cookie) is None and sessions.read(other_cookie) is not None
    assert Sessions(SECRET, clock=clock).read(other_cookie) is not None  # another worker, same secret


def test_a_session_with_an_unknown_role_is_refused() -> None:
    clock = Clock()
    signer = Signer(SECRET, "session")
    payload = {
        "sid": "x",
        "uid": 1,
        "u": "eve",
        "r": "root",
        "csrf": "c",
        "iat": clock.now,
        "exp": clock.now + 10,
    }
    assert Sessions(SECRET, clock=clock).read(signer.sign(payload)) is None
    payload["r"] = "admin"
    assert Sessions(SECRET, clock=clock).read(signer.sign(payload)) is not None
    del payload["csrf"]
    assert Sessions(SECRET, clock=clock).read(signer.sign(payload)) is None


def test_csrf_and_login_tokens() -> None:
    assert tokens_match("abc", "abc")
    assert not tokens_match("abc", "abd") and not tokens_match("abc", None) and not tokens_match("", "")
    clock = Clock()
    sessions = Sessions(SECRET, clock=clock)
    token, cookie = sessions.login_token()
    assert sessions.login_token_ok(cookie, token)
    assert not sessions.login_token_ok(cookie, token + "x")
    assert not sessions.login_token_ok(None, token)
    other_token, _ = sessions.login_token()
    assert not sessions.login_token_ok(cookie, other_token)
    clock.now += 3601
    assert not sessions.login_token_ok(cookie, token)


def test_flash_messages_are_signed_and_short_lived() -> None:
    clock = Clock()
    sessions = Sessions(SECRET, clock=clock)
    cookie = sessions.flash("Saved version 2.", "ok")
    assert sessions.read_flash(cookie) == ("Saved version 2.", "ok")
    assert (
        sessions.read_flash(Signer(b"x" * 32, "flash").sign({"m": "Call 555", "k": "ok", "exp": 2e9})) is None
    )
    clock.now += 301
    assert sessions.read_flash(cookie) is None


def test_throttle_backs_off_per_account_and_address_and_can_be_cleared() -> None:
    clock = Clock()
    throttle = Throttle(limit=3, window_s=900, clock=clock, base_wait_s=30, max_wait_s=100)
    bob_here, here = "user:bob@1.2.3.4", "address:1.2.3.4"
    for _ in range(3):
        assert throttle.wait_s(bob_here, here) == 0
        throttle.failed(bob_here, here)
    assert throttle.wait_s(bob_here) == pytest.approx(30)
    assert throttle.wait_s("user:bob@5.6.7.8") == 0  # the right user elsewhere is not locked out
    assert throttle.wait_s("user:carol@1.2.3.4", here) > 0  # same address, other account
    clock.now += 30
    assert throttle.wait_s(bob_here) == 0
    throttle.failed(bob_here)
    assert throttle.wait_s(bob_here) == pytest.approx(60)  # each further failure doubles the wait
    clock.now += 60
    throttle.failed(bob_here)
    assert throttle.wait_s(bob_here) == pytest.approx(100)  # capped
    assert throttle.clear("user:bob@") == 1 and throttle.wait_s(bob_here) == 0
    throttle.succeeded(here)
    assert throttle.wait_s(here) == 0


def test_client_address_comes_from_the_trusted_proxy_header_only() -> None:
    headers = {"x-forwarded-for": "6.6.6.6, 10.0.0.7"}
    assert client_address("127.0.0.1", headers) == "127.0.0.1"  # not configured: header ignored
    assert client_address("127.0.0.1", headers, "X-Forwarded-For") == "10.0.0.7"  # the proxy's entry
    assert client_address("127.0.0.1", {}, "X-Forwarded-For") == "127.0.0.1"


def test_secret_from_the_environment_or_kept_in_the_data_folder(tmp_path) -> None:
    good = "k" * MIN_SECRET_CHARS
    assert load_secret(tmp_path, {SECRET_ENV: good}) == good.encode()
    with pytest.raises(SecretError, match="shorter"):
        load_secret(tmp_path, {SECRET_ENV: "short"})
    first = load_secret(tmp_path / "data", {})
    assert (
        len(first) >= MIN_SECRET_CHARS and load_secret(tmp_path / "data", {}) == first
    )  # kept across starts
    mode = stat.S_IMODE((tmp_path / "data" / "session-secret").stat().st_mode)
    assert mode == 0o600
    assert load_secret(tmp_path / "other", {}) != first


def test_next_page_after_sign_in_stays_in_the_workspace() -> None:
    assert safe_next("/workspace/materials/3?x=1") == "/workspace/materials/3?x=1"
    assert safe_next("/workspace") == "/workspace"
    for bad in (
        None,
        "",
        "https://evil.example/",
        "//evil.example",
        "/workspace//evil.example",
        "/workspaceevil",
        "/workspace/login?next=x",
        "/\\evil",
        "/workspace/\\evil",
        "/search",
        "/workspace/a b",
    ):
        assert safe_next(bad) == "/workspace", bad
