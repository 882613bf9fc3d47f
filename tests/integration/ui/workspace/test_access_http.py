"""The clinician workspace over HTTP (FastAPI's test client) on a real SQLite review database:
sign-in, roles and sign-out, every route refused without a session, CSRF on every form, and
everything shown escaped. The areas have their own files: ``test_materials_http.py``,
``test_queue_http.py`` and ``test_evaluation_http.py``; the shared fixtures are in the
folder above's ``conftest.py``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from careguide.ui.workspace import API, LOGIN_COOKIE, SESSION_COOKIE
from tests.integration.ui.conftest import PASSWORD, App, csrf, sign_in, signed_in

pytestmark = pytest.mark.integration

SAMPLE = {
    "material_id": "1",
    "job_id": "nope",
    "item_id": "1",
    "fmt": "md",
    "name": "20260101-000000",
    "username": "alice",
}


def workspace_routes(web: App) -> list[tuple[str, str]]:
    found = [(m, p.format(**SAMPLE)) for m, p in web.workspace.routes() if p != "/workspace/login"]
    # The app serves exactly these under /workspace (nothing added elsewhere escapes the check).
    schema_free = TestClient(web.app).get("/openapi.json").json()["paths"]
    assert not [p for p in schema_free if p.startswith("/workspace")]
    return found


def test_every_workspace_route_refuses_a_visitor_without_a_session(web, store):
    material_id = store.create_material(
        "Asthma", "patients", "standard", "handout", "Asthma [1].", [], 5.0, "alice"
    )
    routes = workspace_routes(web)
    assert len(routes) >= 20
    paths = {p for _, p in routes}
    assert {
        "/workspace",
        "/workspace/api/jobs/nope",
        "/workspace/materials/1/export/md",
        "/workspace/queue/annotations.jsonl",
    } <= paths
    forged = web.client.cookies
    for cookie in (None, "garbage", "e30.AAAA"):
        forged.clear()
        if cookie:
            forged.set(SESSION_COOKIE, cookie, path="/workspace")
        for method, path in routes:
            response = web.client.request(
                method, path, follow_redirects=False, data={"csrf": "x"} if method == "POST" else None
            )
            if path.startswith(API):
                assert response.status_code == 401, (method, path)
                assert response.json() == {"message": "Sign in to the workspace first."}
            else:
                assert response.status_code == 303, (method, path, response.status_code)
                assert response.headers["location"].startswith("/workspace/login?next="), (method, path)
    forged.clear()
    # A GET comes back to the page asked for after signing in; nothing was changed meanwhile.
    login = web.client.get("/workspace/materials/1/history", follow_redirects=False).headers["location"]
    assert login == "/workspace/login?next=/workspace/materials/1/history"
    assert [m.version for m in store.list_materials()] == [1] and store.get(material_id).status == "draft"
    assert web.client.get("/workspace/login").status_code == 200


def test_sign_in_roles_and_sign_out(web):
    client = web.client
    page = client.get("/workspace/login")
    assert page.status_code == 200 and "Sign in" in page.text
    assert "content-security-policy" in page.headers and page.headers["x-frame-options"] == "DENY"
    assert LOGIN_COOKIE in page.headers["set-cookie"]

    assert sign_in(client, password="wrong password").status_code == 401
    token_less = client.post(
        "/workspace/login", data={"username": "alice", "password": PASSWORD, "token": "x"}
    )
    assert token_less.status_code == 400 and "expired" in token_less.text

    response = sign_in(client, next="/workspace/queue")
    assert response.status_code == 303 and response.headers["location"] == "/workspace/queue"
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "path=/workspace" in cookie.lower()
    home = client.get("/workspace")
    assert home.status_code == 200 and "alice (clinician)" in home.text
    assert client.get("/workspace/users").status_code == 403  # clinicians do not manage users
    assert client.get("/workspace/login", follow_redirects=False).status_code == 303  # already signed in

    session = client.cookies.get(SESSION_COOKIE)
    assert client.post("/workspace/logout", follow_redirects=False).status_code == 403  # no CSRF token
    out = client.post("/workspace/logout", data={"csrf": csrf(home.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/workspace/login"
    client.cookies.set(SESSION_COOKIE, session, path="/workspace")  # a copied cookie after sign-out
    assert client.get("/workspace", follow_redirects=False).status_code == 303

    client.cookies.clear()
    assert sign_in(client, "root").status_code == 303
    users = client.get("/workspace/users")
    assert users.status_code == 200 and "alice" in users.text and "root" in users.text
    added = client.post(
        "/workspace/users",
        data={"csrf": csrf(users.text), "username": "bob", "password": PASSWORD, "role": "clinician"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    short = client.post(
        "/workspace/users",
        data={"csrf": csrf(users.text), "username": "eve", "password": "short", "role": "clinician"},
    )
    assert short.status_code == 400 and "shorter than 8" in short.text and 'value="eve"' in short.text
    client.cookies.clear()
    assert sign_in(client, "bob").status_code == 303


def test_sign_in_is_throttled_and_never_redirects_elsewhere(web):
    for _ in range(5):
        assert sign_in(web.client, password="wrong password").status_code == 401
    blocked = sign_in(web.client)
    assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.text
    assert sign_in(web.client, "root").status_code == 303  # other accounts from the same address still can
    web.client.cookies.clear()
    assert sign_in(web.client, "root", next="https://evil.example/").headers["location"] == "/workspace"


def test_every_form_needs_the_csrf_token(web, store):
    material_id = store.create_material(
        "Asthma", "patients", "standard", "handout", "# Asthma\n\nText.\n", [], 5.0, "alice"
    )
    item = store.flag("q", "a", "flagged")
    token = signed_in(web)
    posts = [(m, p) for m, p in workspace_routes(web) if m == "POST"]
    assert len(posts) >= 8
    for _, path in posts:
        for data in ({}, {"csrf": "not-the-token"}):
            response = web.client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, (path, data)
    assert store.get(material_id).version == 1 and store.get(material_id).status == "draft"
    assert store.queue("open")[0].id == item.id
    # The token also works as a header (scripts), and a right token passes.
    edited = web.client.post(
        f"/workspace/materials/{material_id}/edit",
        data={"body": "# Asthma\n\nNew text.\n", "change_note": "Shorter.", "version": "1"},
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )
    assert edited.status_code == 303 and store.get(material_id).version == 2


def test_everything_shown_is_escaped(web, store):
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    material_id = store.create_material(
        f"Asthma {evil}", "patients", "standard", "handout", f"# Title\n\n{evil} [1]. [link](javascript:alert(3))\n",
        [{"n": 1, "title": evil, "url": "javascript:alert(4)", "quote": evil}], 5.0, "alice",
    )  # fmt: skip
    store.flag(evil, evil, evil)
    signed_in(web)
    pages = [
        web.client.get(f"/workspace/materials/{material_id}").text,
        web.client.get(f"/workspace/materials/{material_id}/history").text,
        web.client.get("/workspace").text,
        web.client.get("/workspace/queue").text,
        web.client.get(f"/workspace/queue/{store.queue()[0].id}").text,
    ]
    for html in pages:
        assert "<script>alert" not in html and "<img" not in html
        assert 'href="javascript:' not in html
    assert web.client.get("/workspace/materials/999").status_code == 404
