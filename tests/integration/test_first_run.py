"""The first-run path of `make run`, on a small knowledge base: `careguide ingest --first`,
`careguide doctor`, then `careguide serve --index-rest` as real processes, the real embedded model,
and a real question over HTTP while the other subsets are indexed in the background.

Skipped (like the other model tests) when the llama.cpp runtime is not installed (`make llm`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from careguide.models import pull
from careguide.models.server import free_port, runtime_problem

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        runtime_problem() is not None, reason="the llama.cpp runtime is not installed (make llm)"
    ),
]

MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
"""The default model, as `make run` serves it (assembled once into the cache)."""
SUBSETS = {  # subset -> real MedQuAD files of it
    "5_NIDDK_QA": ["0000001.xml"],  # acromegaly
    "9_CDC_QA": ["0000397.xml"],
    "6_NINDS_QA": ["0000007.xml"],
}


@pytest.fixture
def first_run(tmp_path: Path, medquad_dir: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    root = tmp_path
    for subset, files in SUBSETS.items():
        (root / "data" / "medquad" / subset).mkdir(parents=True)
        for name in files:
            shutil.copy(medquad_dir / subset / name, root / "data" / "medquad" / subset / name)
    profile = root / "profile.yaml"
    profile.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(root / "data"),
                "index_dir": str(root / "index"),
                "reports_dir": str(root / "reports"),
                "knowledge_base": {"medquad_subsets": list(SUBSETS), "first_subsets": ["5_NIDDK_QA"]},
                "review": {"database_url": f"sqlite:///{root / 'careguide.db'}"},
                "llm": {"model": MODEL, "max_tokens": 120},
            }
        )
    )
    pull(MODEL)
    env = {**os.environ, "CAREGUIDE_CONFIG": str(profile)}
    yield root, env


def careguide(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "careguide.cli", *args], env=env, capture_output=True, text=True, timeout=600
    )


def test_first_subsets_then_doctor_then_a_cited_answer_while_the_rest_is_indexed(first_run):
    root, env = first_run
    before = careguide(env, "doctor", "--json")
    assert before.returncode == 1
    parts = {p["name"]: p for p in json.loads(before.stdout)}
    assert not parts["index"]["ok"] and parts["index"]["fix"] == "careguide ingest"
    assert parts["model runtime"]["ok"] and parts["model file"]["ok"]

    first = careguide(env, "ingest", "--first")
    assert first.returncode == 0, first.stderr
    assert "1 files" in first.stderr and "Collection 'careguide'" in first.stderr
    ready = careguide(env, "doctor")
    assert ready.returncode == 0, ready.stdout
    assert "careguide is ready." in ready.stdout

    port = free_port()
    log = (root / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "careguide.cli", "serve", "--index-rest", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        health = _wait_for(
            base, lambda h: h["model"] == "ready" and (h["indexing"] or {}).get("done"), server
        )
        assert health["model_problem"] == ""
        assert {p["name"] for p in health["parts"]} >= {"model runtime", "model file", "index", "free disk"}
        response = httpx.post(
            f"{base}/v1/answer", json={"question": "What are the symptoms of acromegaly?"}, timeout=900
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        sources = {c["answer_id"].split("_Sec")[0] for c in answer["citations"]}
        assert answer["citations"], answer  # a cited answer, as the chat shows it
        assert sources <= {"NIDDK_0000001"}
        # The background indexer added the other subsets: they are searchable in the same server.
        found = httpx.get(f"{base}/v1/search", params={"q": "Holmes-Adie pupil", "k": 1}, timeout=60)
        assert found.status_code == 200 and found.json()[0]["answer_id"].startswith("NINDS_0000007")
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a request still in flight holds a graceful shutdown
            server.kill()
            server.wait(timeout=30)
        log.close()

    again = careguide(env, "ingest", "--first")
    assert again.returncode == 0 and "0 indexed" in again.stderr  # a second run embeds nothing


def _wait_for(base: str, ready, server: subprocess.Popen[bytes]) -> dict:
    deadline = time.monotonic() + 420
    health: dict = {}
    while time.monotonic() < deadline:
        assert server.poll() is None, "careguide serve exited"
        try:
            health = httpx.get(f"{base}/healthz", timeout=30).json()
            if ready(health):
                return health
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"careguide serve was not ready in time: {health}")
