"""The workspace's forms with generated input (hypothesis): any text in any field, ids and names
of every size, is refused or accepted with a page, never a server error."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.ui.conftest import signed_in

pytestmark = pytest.mark.integration

TEXT = st.text(max_size=200)
ANY_ID = st.one_of(st.integers(min_value=-(2**70), max_value=2**70).map(str), st.text(max_size=20))
FORMS = {
    "/workspace/generate": ("topic", "audience", "reading_level", "format"),
    "/workspace/materials/{id}/edit": ("body", "change_note", "version"),
    "/workspace/materials/{id}/decide": ("decision", "comment", "version", "acknowledge"),
    "/workspace/queue/{id}/annotate": ("annotation", "label", "expected_answer"),
    "/workspace/users": ("username", "password", "role"),
    "/workspace/users/{id}/unlock": (),
}


@pytest.mark.parametrize("path", sorted(FORMS))
def test_forms_never_answer_with_a_server_error(web, store, path: str) -> None:
    store.create_material(
        "Asthma", "patients", "standard", "handout", "# Asthma\n\nText.\n", [], 5.0, "alice"
    )
    store.flag("q", "a", "flagged")
    token = signed_in(web, "root")
    generated: list[int] = []

    @given(values=st.lists(TEXT, min_size=len(FORMS[path]), max_size=len(FORMS[path])), target=ANY_ID)
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    def post(values: list[str], target: str) -> None:
        data = dict(zip(FORMS[path], values, strict=True)) | {"csrf": token}
        url = path.replace("{id}", quote(target, safe="") or "1")
        response = web.client.post(url, data=data, follow_redirects=False)
        generated.append(response.status_code)
        assert response.status_code < 500, (url, data, response.text[:300])

    post()
    assert generated
