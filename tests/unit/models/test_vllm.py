"""`careguide serve-llm`: the vllm argv, the dry run, clear errors, and the server lifecycle (start,
readiness, forwarded signals, exit code) against a stand-in `vllm` command speaking HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from careguide.config import LLMSettings, Settings, VllmSettings
from careguide.models import ModelError
from careguide.models.server import free_port
from careguide.models.vllm import CITED_SENTENCES, VllmServer, run_serve_llm, vllm_command

FAKE_VLLM = """\
#!{python}
# A stand-in for `vllm serve MODEL ... --port P`: answers /v1/models, exits 0 on SIGINT/SIGTERM.
import http.server, json, os, signal, sys, threading
args = sys.argv[1:]
port = int(args[args.index("--port") + 1])
name = args[args.index("--served-model-name") + 1]
class Models(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({{"object": "list", "data": [{{"id": name}}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda *_: os._exit(0))
print("fake vllm", " ".join(args), flush=True)
if os.environ.get("FAKE_VLLM_EXIT"):
    sys.exit(int(os.environ["FAKE_VLLM_EXIT"]))
http.server.HTTPServer(("127.0.0.1", port), Models).serve_forever()
"""


def vllm_settings(**vllm: object) -> Settings:
    return Settings(llm=LLMSettings(backend="vllm", vllm=VllmSettings(**vllm)))  # type: ignore[arg-type]


@pytest.fixture
def fake_vllm(tmp_path: Path) -> Path:
    path = tmp_path / "bin" / "vllm"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(FAKE_VLLM.format(python=sys.executable)))
    path.chmod(0o755)
    return path


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    return folder


def test_command_carries_every_setting():
    settings = vllm_settings(
        model="/models/qwen",
        port=9000,
        tensor_parallel_size=2,
        max_model_len=2048,
        gpu_memory_utilization=0.5,
        dtype="bfloat16",
        extra_args=("--max-num-seqs", "8"),
        executable="/opt/vllm/bin/vllm",
    )
    argv = vllm_command(settings)
    assert argv[:3] == ["/opt/vllm/bin/vllm", "serve", "/models/qwen"]
    pairs = dict(zip(argv[3::2], argv[4::2], strict=False))
    assert pairs["--served-model-name"] == "local"
    assert pairs["--tensor-parallel-size"] == "2"
    assert pairs["--max-model-len"] == "2048"
    assert pairs["--port"] == "9000" and pairs["--host"] == "127.0.0.1"
    assert pairs["--dtype"] == "bfloat16" and pairs["--gpu-memory-utilization"] == "0.5"
    assert argv[-2:] == ["--max-num-seqs", "8"]


def test_prefix_caching_is_switched_explicitly_both_ways():
    # vLLM turns prefix caching on by default, so "off" must be said.
    on = vllm_command(vllm_settings(model="m"))
    off = vllm_command(vllm_settings(model="m", enable_prefix_caching=False))
    assert "--enable-prefix-caching" in on and "--no-enable-prefix-caching" not in on
    assert "--no-enable-prefix-caching" in off and "--enable-prefix-caching" not in off


def test_dry_run_prints_the_command_and_starts_nothing(capsys):
    settings = vllm_settings(model="Qwen/Qwen2.5-1.5B-Instruct", executable="/nonexistent/vllm")
    assert run_serve_llm(settings, dry_run=True) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("/nonexistent/vllm serve Qwen/Qwen2.5-1.5B-Instruct --served-model-name local")
    assert "--enable-prefix-caching" in out


def test_missing_executable_names_the_fix(model_dir):
    with pytest.raises(ModelError) as caught:
        run_serve_llm(vllm_settings(model=str(model_dir), executable="/nonexistent/vllm"))
    message = str(caught.value)
    assert "install vLLM" in message and "llm.vllm.executable" in message
    assert message.count(". ") == 0 and "\n" not in message


@pytest.mark.parametrize(
    ("model", "fix"),
    [("", "llm.vllm.model is empty"), ("/nonexistent/model-dir", "fix llm.vllm.model")],
)
def test_missing_model_names_the_fix(fake_vllm, model, fix):
    with pytest.raises(ModelError, match=re.escape(fix)):
        VllmServer(vllm_settings(model=model, executable=str(fake_vllm))).start(timeout=5)


def test_server_starts_answers_and_stops_on_a_forwarded_signal(fake_vllm, model_dir, tmp_path):
    settings = vllm_settings(model=str(model_dir), executable=str(fake_vllm), port=free_port())
    server = VllmServer(settings, log=tmp_path / "vllm.log")
    with server:
        assert server.alive() and server.base_url.endswith(f":{settings.llm.vllm.port}/v1")
        server.forward(signal.SIGTERM)
        assert server.wait() == 0 and not server.alive()
    assert server.process is None
    assert "fake vllm serve" in (tmp_path / "vllm.log").read_text()


def test_a_server_that_exits_while_starting_is_reported_with_its_log(
    fake_vllm, model_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("FAKE_VLLM_EXIT", "3")
    server = VllmServer(
        vllm_settings(model=str(model_dir), executable=str(fake_vllm), port=free_port()),
        tmp_path / "vllm.log",
    )
    with pytest.raises(ModelError, match=r"exited while starting.*Last log line: fake vllm serve"):
        server.start(timeout=30)
    assert not server.alive()


def test_serve_llm_prints_the_url_and_ctrl_c_stops_it_cleanly(fake_vllm, model_dir, tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CAREGUIDE_")},
        "CAREGUIDE_LLM__BACKEND": "vllm",
        "CAREGUIDE_LLM__VLLM__EXECUTABLE": str(fake_vllm),
        "CAREGUIDE_LLM__VLLM__MODEL": str(model_dir),
        "CAREGUIDE_LLM__VLLM__PORT": str(port),
    }
    careguide = Path(sys.executable).with_name("careguide")
    process = subprocess.Popen(
        [str(careguide), "serve-llm"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "Ctrl-C stops it" in line or not line:
            break
    assert f"http://127.0.0.1:{port}/v1" in lines[-1], lines
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0


@pytest.mark.parametrize(
    "answer",
    [
        "Acromegaly is caused by too much growth hormone [1].",
        "It can cause large hands and feet [1]. Headaches are common [2][3].",
        "Take 2.5 mg [1]!",
        "Acromegaly is rare [1]",
    ],
)
def test_guided_citation_regex_accepts_cited_sentences(answer):
    assert re.fullmatch(CITED_SENTENCES, answer)


@pytest.mark.parametrize(
    "answer",
    [
        "Acromegaly is rare.",
        "Acromegaly is rare. [1]",
        "It is rare [1]. Ask your doctor.",
        "The sky is blue.00 [1].",
        "",
        "[1].",
    ],
)
def test_guided_citation_regex_rejects_uncited_sentences(answer):
    assert not re.fullmatch(CITED_SENTENCES, answer)
