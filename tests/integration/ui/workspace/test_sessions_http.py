"""Workspace sessions and sign-in over HTTP on a real SQLite review database: sign-out that
outlives a restart, accounts disabled, removed or changed in role, throttling that cannot lock out
the right user, and ids no database can hold."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from careguide.cli.review import users_app
from careguide.config import WebSettings
from careguide.ui.workspace import SESSION_COOKIE
from tests.integration.ui.conftest import App, csrf, sign_in, signed_in

pytestmark = pytest.mark.integration


def test_a_signed_out_cookie_stays_refused_after_a_restart(web, settings, store, assistant) -> None:
    token = signed_in(web)
    cookie = web.client.cookies.get(SESSION_COOKIE)
    out = web.client.post("/workspace/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303
    restarted = App(settings, store, assistant)  # a new process: nothing shared but the database
    try:
        restarted.client.cookies.set(SESSION_COOKIE, cookie, path="/workspace")
        assert restarted.client.get("/workspace", follow_redirects=False).status_code == 303
        assert restarted.client.get("/workspace/api/materials").status_code == 401
    finally:
        restarted.workspace.close()


def test_a_live_session_survives_a_restart(web, settings, store, assistant) -> None:
    signed_in(web)
    cookie = web.client.cookies.get(SESSION_COOKIE)
    restarted = App(settings, store, assistant)
    try:
        restarted.client.cookies.set(SESSION_COOKIE, cookie, path="/workspace")
        assert restarted.client.get("/workspace").status_code == 200
    finally:
        restarted.workspace.close()


def test_disabling_removing_or_demoting_an_account_takes_effect_on_the_next_request(web, store) -> None:
    signed_in(web, "root")
    assert web.client.get("/workspace/users").status_code == 200
    with store._transaction() as session:  # another admin (or psql) changes root's role
        from careguide.review.models import UserRow

        session.query(UserRow).filter(UserRow.username == "root").one().role = "clinician"
    assert web.client.get("/workspace/users").status_code == 403  # the role is read from the database

    web.client.cookies.clear()
    signed_in(web, "alice")
    store.set_active("alice", False)
    assert web.client.get("/workspace", follow_redirects=False).status_code == 303
    assert sign_in(web.client, "alice").status_code == 401  # a disabled account cannot sign in
    store.set_active("alice", True)
    assert sign_in(web.client, "alice").status_code == 303
    store.remove_user("alice")
    assert web.client.get("/workspace", follow_redirects=False).status_code == 303


def test_users_cli_disables_enables_removes_and_revokes(web, settings, store, monkeypatch) -> None:
    import typer

    monkeypatch.setenv("CAREGUIDE_REVIEW__DATABASE_URL", settings.review.database_url)
    cli = typer.Typer()
    cli.add_typer(users_app, name="users")
    runner = CliRunner()
    signed_in(web, "alice")
    revoked = runner.invoke(cli, ["users", "revoke-sessions", "alice"])
    assert revoked.exit_code == 0 and "Ended 1 session of 'alice'." in revoked.output
    assert web.client.get("/workspace", follow_redirects=False).status_code == 303
    assert runner.invoke(cli, ["users", "disable", "alice"]).exit_code == 0
    assert "alice\tclinician\t" in (listed := runner.invoke(cli, ["users", "list"]).output)
    assert listed.splitlines()[0].endswith("\tdisabled")
    assert runner.invoke(cli, ["users", "enable", "alice"]).exit_code == 0
    assert runner.invoke(cli, ["users", "remove", "alice"]).exit_code == 0
    missing = runner.invoke(cli, ["users", "remove", "alice"])
    assert missing.exit_code != 0 and "There is no user 'alice'" in missing.output
    assert "Traceback" not in missing.output


def test_a_stranger_cannot_lock_out_the_right_user(settings, store, assistant) -> None:
    proxied = settings.model_copy(update={"web": WebSettings(trusted_proxy_header="X-Forwarded-For")})
    web = App(proxied, store, assistant)
    try:
        stranger = {"X-Forwarded-For": "203.0.113.9"}
        web.client.headers.update(stranger)
        for _ in range(5):
            assert sign_in(web.client, password="wrong password").status_code == 401
        assert sign_in(web.client).status_code == 429  # the stranger's address is slowed down
        web.client.headers.update({"X-Forwarded-For": "6.6.6.6, 198.51.100.4"})  # the clinic's proxy
        assert sign_in(web.client).status_code == 303  # alice herself, from her own address

        entries = [json.loads(line) for line in web.audit.path.read_text().splitlines()]
        refused = [e for e in entries if e["stage"] == "sign-in" and e["action"] == "refused"]
        assert len(refused) == 5 and {e["address"] for e in refused} == {"203.0.113.9"}
        assert "wrong password" not in web.audit.path.read_text()
        assert entries[-1]["action"] == "ok" and entries[-1]["address"] == "198.51.100.4"

        web.client.cookies.clear()
        web.client.headers.update(stranger)
        assert sign_in(web.client, "root").status_code == 303
        page = web.client.get("/workspace/users")
        cleared = web.client.post(
            "/workspace/users/alice/unlock", data={"csrf": csrf(page.text)}, follow_redirects=False
        )
        assert cleared.status_code == 303
        web.client.cookies.clear()
        assert sign_in(web.client).status_code == 303  # the administrator cleared the lock
    finally:
        web.workspace.close()


@pytest.mark.parametrize("material_id", [2**63, 2**64 + 5, 0])
def test_ids_no_database_holds_are_not_found(web, material_id: int) -> None:
    token = signed_in(web)
    assert web.client.get(f"/workspace/materials/{material_id}").status_code == 404
    assert web.client.get(f"/workspace/api/materials/{material_id}").status_code == 404
    edit = web.client.post(
        f"/workspace/materials/{material_id}/edit",
        data={"csrf": token, "body": "# x\n\ny\n", "change_note": "n", "version": "1"},
    )
    assert edit.status_code == 404
    assert web.client.get(f"/workspace/queue/{material_id}").status_code == 404
