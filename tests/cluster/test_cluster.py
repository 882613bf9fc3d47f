"""The cluster profile on loopback: proxy -> app -> router -> model, with parts killed on purpose.

Order matters (one cluster for the module): answers first, then a model server is killed and
restarted, then an app process is killed."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable

import httpx

from careguide.review import JobTable, open_review_store
from tests.cluster.harness import Cluster

QUESTION = "What are the symptoms of asthma?"
RETRY = re.compile(r"^[^.!?]*please try again[^.!?]*[.!?]$")
"""The one sentence a patient gets when the answer service fails mid-answer."""
PASSWORD = "correct horse battery"


def stream(base: str, question: str, started: threading.Event | None = None) -> dict[str, object]:
    """One streamed answer: its final ``answer`` or ``error`` event (never silence)."""
    tokens = 0
    with httpx.stream(
        "POST", f"{base}/v1/answer/stream", json={"question": question}, timeout=600
    ) as response:
        assert response.status_code == 200, response.read()
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                if event == "token":
                    tokens += 1
                    if started is not None:
                        started.set()
                elif event in ("answer", "error"):
                    return {"event": event, "tokens": tokens, **data}
    return {"event": "none", "tokens": tokens}


def eventually(check: Callable[[], bool], timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def requests_served(cluster: Cluster, index: int) -> int:
    """Chat completions a model server has answered so far (its access log)."""
    return cluster.models[index].log.read_text(errors="replace").count("POST /v1/chat/completions")


def test_a_question_is_answered_with_citations_through_proxy_app_router_and_model(cluster: Cluster) -> None:
    before = [requests_served(cluster, i) for i in range(len(cluster.models))]
    result = stream(cluster.proxy.url, QUESTION)
    assert result["event"] == "answer", result
    assert result["citations"], result
    assert any("asthma" in str(c).lower() for c in result["citations"])  # type: ignore[union-attr]
    after = [requests_served(cluster, i) for i in range(len(cluster.models))]
    assert sum(after) > sum(before)  # the answer came from one of the model servers behind the router


def test_a_model_server_killed_mid_stream_loses_no_answer_and_is_used_again_after_restart(
    cluster: Cluster,
) -> None:
    results: list[dict[str, object]] = []
    started = threading.Event()

    def ask() -> None:
        results.append(stream(cluster.proxy.url, QUESTION, started))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    assert started.wait(300), "no answer started streaming"
    victim = cluster.models[0]
    victim.kill()
    for thread in threads:
        thread.join(600)
    assert len(results) == 4
    for result in results:  # every answer completes, or ends with the one-sentence retry message
        assert result["event"] in ("answer", "error"), result
        if result["event"] == "error":
            assert RETRY.match(str(result["message"])), result
    # The router stops sending to the dead server: the next answers all complete.
    after_kill = [stream(cluster.proxy.url, QUESTION) for _ in range(3)]
    assert [r["event"] for r in after_kill] == ["answer"] * 3, after_kill
    # Restarted on the same port, it is sent requests again.
    served = requests_served(cluster, 0)
    victim.start()
    assert eventually(
        lambda: (
            stream(cluster.proxy.url, QUESTION)["event"] == "answer" and requests_served(cluster, 0) > served
        ),
        300,
    )


def sign_in(client: httpx.Client, base: str, username: str = "alice") -> str:
    page = client.get(f"{base}/workspace/login")
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    response = client.post(
        f"{base}/workspace/login",
        data={"username": username, "password": PASSWORD, "token": token.group(1), "next": "/workspace"},
    )
    assert response.status_code == 303, response.text[:500]
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get(f"{base}/workspace").text)
    assert csrf
    return csrf.group(1)


def test_an_app_process_killed_the_other_serves_sessions_and_jobs_carry_over(cluster: Cluster) -> None:
    with open_review_store(cluster.database_url) as store:
        for name in ("alice", "bob"):
            if name not in {u.username for u in store.list_users()}:
                store.add_user(name, PASSWORD, "clinician")
    one, two = cluster.apps
    alice = httpx.Client(follow_redirects=False, timeout=60)
    csrf = sign_in(alice, one.url)
    # The cookie issued by one process is honoured by the other (shared secret, shared sessions).
    assert alice.get(f"{two.url}/workspace").status_code == 200
    # Sign-out on the other is honoured by the first.
    bob = httpx.Client(follow_redirects=False, timeout=60)
    bob_csrf = sign_in(bob, two.url, "bob")
    cookie = dict(bob.cookies)
    assert bob.post(f"{one.url}/workspace/logout", data={"csrf": bob_csrf}).status_code == 303
    stale = httpx.Client(follow_redirects=False, timeout=60, cookies=cookie)
    assert stale.get(f"{two.url}/workspace").status_code in (303, 401)
    # A draft started through the first process is visible through the second while it runs.
    started = alice.post(
        f"{one.url}/workspace/generate",
        data={"csrf": csrf, "topic": "asthma", "audience": "patients", "format": "handout"},
    )
    assert started.status_code == 303, started.text[:500]
    job_id = started.headers["location"].rsplit("/", 1)[1]

    def job() -> dict[str, object]:
        return dict(alice.get(f"{two.url}/workspace/api/jobs/{job_id}").json())

    assert eventually(lambda: job()["state"] == "running", 300)
    # The first process dies mid-draft: the proxy sends the next requests to the second, the
    # clinician is still signed in, and the second picks the orphaned draft up and finishes it.
    one.kill()
    through_proxy = [alice.get(f"{cluster.proxy.url}/workspace") for _ in range(4)]
    assert [r.status_code for r in through_proxy] == [200] * 4
    assert eventually(lambda: job()["state"] in ("done", "failed"), 900), job()
    final = job()
    assert final["state"] == "done" and final["material_id"], final
    with open_review_store(cluster.database_url) as store:
        record = JobTable(store.engine).get(job_id)
    assert record is not None and record.attempts == 2  # run again by the survivor, not finished by the dead
    material = alice.get(f"{cluster.proxy.url}/workspace/materials/{final['material_id']}")
    assert material.status_code == 200 and "asthma" in material.text.lower()
    one.start()  # back for what follows
