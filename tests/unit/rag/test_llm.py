"""The chat client against a tiny real HTTP server that speaks the streamed OpenAI format."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from careguide.rag.llm import ChatClient, LLMError, ModelTooSlow


class FakeModel(BaseHTTPRequestHandler):
    status = 200
    body = ""
    delay = 0.0  # seconds before the first byte (a server still reading a long prompt)
    requests: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        record = json.loads(self.rfile.read(length))
        record["authorization"] = self.headers.get("Authorization")
        type(self).requests.append(record)
        time.sleep(self.delay)
        self.send_response(self.status)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(self.body.encode())

    def log_message(self, *args: object) -> None:
        pass


def sse(*tokens: str) -> str:
    events = ["data: " + json.dumps({"choices": [{"delta": {"content": t}}]}) + "\n\n" for t in tokens]
    return "".join(events) + "data: [DONE]\n\n"


@pytest.fixture
def server() -> Iterator[str]:
    FakeModel.status, FakeModel.body, FakeModel.requests = 200, sse("Hello", " there", "."), []
    FakeModel.delay = 0.0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeModel)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_streams_tokens_and_sends_model_key_and_extra_fields(server):
    client = ChatClient(lambda: server, "served", "secret", extra_body={"seed": 7})
    assert list(client.stream([{"role": "user", "content": "hi"}], 20)) == ["Hello", " there", "."]
    request = FakeModel.requests[0]
    assert request["model"] == "served" and request["stream"] is True and request["seed"] == 7
    assert request["max_tokens"] == 20 and request["temperature"] == 0.0
    assert request["authorization"] == "Bearer secret"


def test_error_status_is_one_sentence(server):
    FakeModel.status, FakeModel.body = 500, "boom"
    with pytest.raises(LLMError, match=r"returned an error \(500\)"):
        ChatClient(lambda: server).complete([], 5)


def test_malformed_stream_is_a_clear_error(server):
    FakeModel.body = "data: {not json\n\n"
    with pytest.raises(LLMError, match="malformed"):
        ChatClient(lambda: server).complete([], 5)


def test_unreachable_server_is_retried_then_reported():
    calls: list[int] = []

    def nowhere() -> str:
        calls.append(1)
        return "http://127.0.0.1:9/v1"

    with pytest.raises(LLMError, match="cannot be reached"):
        ChatClient(nowhere, retries=1).complete([], 5)
    assert len(calls) == 2


def test_a_server_that_cannot_start_is_reported():
    def broken() -> str:
        raise RuntimeError("The model file is missing; run `careguide models pull`.")

    with pytest.raises(LLMError, match="models pull"):
        ChatClient(broken).complete([], 5)


def test_a_refused_key_names_the_fix(server):
    FakeModel.status = 401
    with pytest.raises(LLMError, match="API key"):
        ChatClient(lambda: server, api_key="wrong").complete([], 5)


def test_a_deadline_stops_waiting_for_a_server_still_reading_the_prompt(server):
    FakeModel.delay = 2.0
    client = ChatClient(lambda: server)
    with pytest.raises(ModelTooSlow, match=r"within 0\.2 s"):
        list(client.stream([{"role": "user", "content": "hi"}], 20, deadline_s=0.2))
    assert len(FakeModel.requests) == 1  # too slow is not retried
    assert issubclass(ModelTooSlow, LLMError)


def test_a_deadline_the_server_meets_changes_nothing(server):
    client = ChatClient(lambda: server)
    assert list(client.stream([{"role": "user", "content": "hi"}], 20, deadline_s=30)) == [
        "Hello",
        " there",
        ".",
    ]
