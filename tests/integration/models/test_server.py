"""The embedded LLM server: a real llama-cpp-python server process with the real 0.5B model."""

from __future__ import annotations

import httpx
import pytest

from careguide.models import MODELS, ModelError, pull
from careguide.models.server import LlamaServer, attach, free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    model = pull("qwen2.5-coder-0.5b-instruct")
    with LlamaServer(model, tmp_path_factory.mktemp("llm") / "server.log", n_ctx=1024) as running:
        yield running


def test_chat_completion_over_the_openai_api(server):
    assert attach(server.base_url) == server.base_url
    response = httpx.post(
        f"{server.base_url}/chat/completions",
        json={
            "model": "local",
            "messages": [{"role": "user", "content": "Reply with the single word: hello"}],
            "max_tokens": 8,
            "temperature": 0,
        },
        timeout=120,
    )
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"].strip()


def test_a_dead_server_is_restarted(server):
    assert server.process is not None
    server.process.kill()
    server.process.wait()
    assert not server.alive()
    url = server.ensure_running()
    assert server.alive() and server.restarts == 1
    assert httpx.get(f"{url}/models", timeout=10).status_code == 200


def test_a_server_restarted_from_a_worker_thread_outlives_that_thread(server):
    """A web request's thread restarts a dead server, then ends: the server must keep running."""
    import threading
    import time

    assert server.process is not None
    server.process.kill()
    server.process.wait()
    worker = threading.Thread(target=server.ensure_running)
    worker.start()
    worker.join()
    time.sleep(2)  # the stop signal, if any, is immediate
    assert server.alive()
    assert httpx.get(f"{server.base_url}/models", timeout=10).status_code == 200


def test_unreachable_server_and_missing_model_are_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="Cannot reach the LLM server"):
        attach(f"http://127.0.0.1:{free_port()}/v1", timeout=1)
    with pytest.raises(ModelError, match="does not exist"):
        LlamaServer(tmp_path / "none.gguf", tmp_path / "log").start()
    assert MODELS["qwen2.5-coder-0.5b-instruct"].target.is_file()


def test_the_server_stops_when_careguide_is_killed(tmp_path):
    """SIGKILL of the parent must not leave a model server holding the CPU."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import time\nfrom pathlib import Path\nfrom careguide.models import pull\n"
        "from careguide.models.server import LlamaServer\n"
        f"s = LlamaServer(pull('qwen2.5-coder-0.5b-instruct'), Path({str(tmp_path / 'llm.log')!r}))\n"
        "s.start(); print(s.process.pid, flush=True); time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the model server outlived careguide")


def test_a_deadline_cuts_off_the_wait_and_the_server_answers_the_next_question(server):
    from careguide.rag import ChatClient, ModelTooSlow

    client = ChatClient(server.ensure_running)
    long_prompt = [{"role": "user", "content": "Summarise this. " + "The heart pumps blood. " * 150}]
    with pytest.raises(ModelTooSlow):
        list(client.stream(long_prompt, 64, deadline_s=0.05))
    reply = client.complete([{"role": "user", "content": "Reply with the single word: hello"}], 8)
    assert reply.strip()
