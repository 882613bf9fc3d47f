"""The workspace's review queue over HTTP: listing, annotating and the JSONL export."""

from __future__ import annotations

import json

import pytest

from tests.integration.ui.conftest import signed_in

pytestmark = pytest.mark.integration


def test_queue_annotation_and_eval_export(web, store):
    store.add_feedback("conv-1", "What is asthma?", "Asthma is a bone disease.", -1, "Wrong!")
    store.add_feedback("conv-2", "What is gout?", "Gout is arthritis.", 1)
    store.flag("How much insulin?", "Take 40 units.", "unverified number removed")
    token = signed_in(web)
    queue = web.client.get("/workspace/queue")
    assert queue.status_code == 200
    assert (
        "What is asthma?" in queue.text
        and "How much insulin?" in queue.text
        and "What is gout?" not in queue.text
    )
    assert "Rated not helpful by a patient" in queue.text and "Flagged by the guardrails" in queue.text
    item = store.queue("open")[0]
    page = web.client.get(f"/workspace/queue/{item.id}")
    assert "Asthma is a bone disease." in page.text and "Wrong!" in page.text
    bad = web.client.post(
        f"/workspace/queue/{item.id}/annotate",
        data={"csrf": token, "annotation": "Wrong organ.", "label": "made-up"},
    )
    assert bad.status_code == 400 and "Choose a verdict" in bad.text and "Wrong organ." in bad.text
    done = web.client.post(
        f"/workspace/queue/{item.id}/annotate",
        data={
            "csrf": token,
            "annotation": "Wrong organ.",
            "label": "incorrect",
            "expected_answer": "Asthma affects the airways.",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert [i.question for i in store.queue("open")] == ["How much insulin?"]
    assert "What is asthma?" in web.client.get("/workspace/queue", params={"status": "done"}).text
    assert web.client.get("/workspace/queue/999").status_code == 404
    export = web.client.get("/workspace/queue/annotations.jsonl")
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in export.headers["content-disposition"]
    records = [json.loads(line) for line in export.text.splitlines()]
    assert records == [
        {
            "question": "What is asthma?",
            "answer": "Asthma is a bone disease.",
            "label": "incorrect",
            "annotation": "Wrong organ.",
            "expected_answer": "Asthma affects the airways.",
            "reason": "Wrong!",
            "kind": "feedback",
        }
    ]
