"""The workspace's Evaluation tab over HTTP: real harness reports, shown to administrators only."""

from __future__ import annotations

import re

import pytest

from tests.integration.ui.conftest import sign_in

pytestmark = pytest.mark.integration


def test_the_evaluation_tab_shows_the_latest_report_to_administrators(web, settings):
    from careguide.eval.harness import run_suites
    from careguide.eval.reports import write_run

    client = web.client
    assert sign_in(client, "root").status_code == 303
    empty = client.get("/workspace/evaluation")
    assert empty.status_code == 200 and "no evaluation report" in empty.text and "make eval" in empty.text
    assert 'href="/workspace/evaluation"' in empty.text

    # Two real harness runs (the PHI suite on a few sentences); the second one is made worse.
    results = run_suites(settings, ["phi"], 12)
    first = write_run(results, settings.reports_dir)
    worse = dict(results, metrics=dict(results["metrics"], **{"phi.recall": 0.1}))
    second = write_run(worse, settings.reports_dir)
    (settings.reports_dir / "not-a-run").mkdir()
    page = client.get("/workspace/evaluation")
    assert page.status_code == 200
    text = page.text
    assert f"Latest run: {second.name}" in text and first.name in text and "not-a-run" not in text
    assert "phi.f2" in text and "1 metric(s) fell beyond their tolerance" in text
    assert re.search(r'<tr class="regression"><td><code>phi.recall</code>', text)
    assert "span-level, by character coverage" in text  # the definitions are on the page

    report = client.get(f"/workspace/evaluation/{second.name}/report.html")
    assert (
        report.status_code == 200
        and "careguide evaluation" in report.text
        and "data:image/png" in report.text
    )
    assert "default-src 'none'" in report.headers["content-security-policy"]
    for name in ("..", "not-a-run", "%2e%2e%2fsecret", "20990101-000000"):
        assert client.get(f"/workspace/evaluation/{name}/report.html").status_code == 404, name

    # A half-written newest run is named, and the page still shows the last readable one.
    broken = settings.reports_dir / "20991231-235959"
    broken.mkdir()
    (broken / "results.json").write_text('{"metrics": ', encoding="utf-8")
    page = client.get("/workspace/evaluation").text
    assert "cannot be read" in page and f"Latest run: {second.name}" in page

    client.cookies.clear()
    assert sign_in(client, "alice").status_code == 303
    home = client.get("/workspace").text
    assert 'href="/workspace/evaluation"' not in home
    assert client.get("/workspace/evaluation").status_code == 403
    assert client.get(f"/workspace/evaluation/{second.name}/report.html").status_code == 403
