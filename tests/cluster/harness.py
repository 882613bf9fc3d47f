"""The loopback cluster of `make test-cluster`: every engine of configs/cluster.yaml as a real
process on 127.0.0.1 (PostgreSQL, a Chroma server, llama.cpp model servers behind vllm-router,
`careguide serve` processes behind nginx). Tests kill and restart single parts of it."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_for(
    check: Callable[[], bool], what: str, timeout: float, alive: Callable[[], bool] = lambda: True
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        if not alive():
            raise RuntimeError(f"{what} exited while starting; see its log.")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {timeout:.0f} s; see its log.")
        time.sleep(0.3)


def http_ok(url: str) -> Callable[[], bool]:
    return lambda: httpx.get(url, timeout=2).status_code == 200


class Proc:
    """One server process with its log, started and stopped (or killed) on demand."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        log: Path,
        ready: Callable[[], bool],
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
        user: str | None = None,
        url: str = "",
    ) -> None:
        self.name, self.command, self.log, self.ready, self.url = name, list(command), log, ready, url
        self.env = {**os.environ, **(env or {})}
        self.timeout, self.user = timeout, user
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, wait: bool = True) -> Proc:
        command = self.command
        if self.user and os.geteuid() == 0:
            command = ["runuser", "-u", self.user, "--", *command]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT, start_new_session=True
            )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        wait_for(self.ready, self.name, self.timeout, lambda: self.alive)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean-up runs."""
        if self.process is not None and self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or not self.alive:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed; `make test-cluster` installs it (apt-get install postgresql)."
        )
    return found[-1].parent


class Postgres:
    """A throwaway PostgreSQL cluster (trust on loopback, no fsync): tests only."""

    def __init__(self, base: Path) -> None:
        self.dir = base / "pg"
        self.port = free_port()
        self.bin = postgres_bin()
        self.user = "postgres" if os.geteuid() == 0 else None
        self.dir.mkdir(mode=0o700)
        if self.user:
            shutil.chown(self.dir, self.user, self.user)
        initdb = [
            str(self.bin / "initdb"),
            "-D",
            str(self.dir),
            "-A",
            "trust",
            "-U",
            "careguide",
            "--no-sync",
        ]
        subprocess.run(
            ["runuser", "-u", self.user, "--", *initdb] if self.user else initdb,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        settings = {
            "listen_addresses": LOOPBACK,
            "port": self.port,
            "unix_socket_directories": self.dir,
            "fsync": "off",
            "max_connections": 200,
        }
        command = [str(self.bin / "postgres"), "-D", str(self.dir)]
        for key, value in settings.items():
            command += ["-c", f"{key}={value}"]
        self.proc = Proc(
            "PostgreSQL", command, base / "postgres.log", self._ready, user=self.user, timeout=60
        )

    def _ready(self) -> bool:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
            return True

    def dsn(self, database: str) -> str:
        return f"postgresql://careguide@{LOOPBACK}:{self.port}/{database}"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://careguide@{LOOPBACK}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


KB_FILES = (
    "4_MPlus_Health_Topics_QA/0000065.xml",  # asthma
    "4_MPlus_Health_Topics_QA/0000471.xml",  # high blood pressure
    "7_SeniorHealth_QA/0000036.xml",  # high blood pressure
    "8_NHLBI_QA_XML/0000010.xml",  # asthma
    "3_GHR_QA/0000001.xml",  # Aarskog-Scott syndrome
    "5_NIDDK_QA/0000001.xml",  # acromegaly
)
"""A small real knowledge base: the MedQuAD documents the cluster questions are about, and others."""


def chroma(base: Path) -> Proc:
    port = free_port()
    proc = Proc(
        "Chroma server",
        [str(BIN / "chroma"), "run", "--path", str(base / "chroma"), "--host", LOOPBACK, "--port", str(port)],
        base / "chroma.log",
        http_ok(f"http://{LOOPBACK}:{port}/api/v2/heartbeat"),
        timeout=90,
        url=f"http://{LOOPBACK}:{port}",
    )
    return proc


def model_server(base: Path, model: Path, index: int) -> Proc:
    """llama-cpp-python's OpenAI-compatible server, one thread (two cores, four engineers)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        "local",
        "--n_ctx",
        "2048",
        "--n_threads",
        "1",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--interrupt_requests",
        "False",
    ]
    proc = Proc(
        f"model server {index}",
        command,
        base / f"model-{index}.log",
        http_ok(f"http://{LOOPBACK}:{port}/v1/models"),
        timeout=180,
        url=f"http://{LOOPBACK}:{port}",
    )
    return proc


def router(base: Path, workers: Sequence[str]) -> Proc:
    """vllm-router in front of the model servers: round robin, health-checked, dead ones skipped."""
    port = free_port()
    command = [
        str(BIN / "vllm-router"),
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--policy",
        "round_robin",
        "--worker-urls",
        *workers,
        *ROUTER_HEALTH,
    ]
    proc = Proc(
        "vllm-router",
        command,
        base / "router.log",
        http_ok(f"http://{LOOPBACK}:{port}/v1/models"),
        timeout=120,
        url=f"http://{LOOPBACK}:{port}",
    )
    return proc


ROUTER_HEALTH = [
    "--health-check-endpoint",
    "/health",
    "--health-check-interval-secs",
    "2",
    "--health-failure-threshold",
    "1",
    "--health-success-threshold",
    "1",
    "--worker-startup-check-interval",
    "1",
    "--cb-failure-threshold",
    "1",
    "--cb-timeout-duration-secs",
    "10",
]
"""A dead model server is out of rotation after two failed checks (4 s) or one failed request, and
back after one good check."""


def app_server(base: Path, index: int, env: Mapping[str, str]) -> Proc:
    port = free_port()
    command = [
        str(BIN / "careguide"),
        "--config",
        str(ROOT / "configs" / "cluster.yaml"),
        "serve",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
    ]
    own = {**env, "CAREGUIDE_INDEX_DIR": str(base / f"app-{index}" / "index")}
    proc = Proc(
        f"app {index}",
        command,
        base / f"app-{index}.log",
        _app_ready(port),
        env=own,
        timeout=240,
        url=f"http://{LOOPBACK}:{port}",
    )
    return proc


def _app_ready(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        health = httpx.get(f"http://{LOOPBACK}:{port}/healthz", timeout=5)
        return health.status_code == 200 and health.json().get("model") == "ready"

    return ready


def _nginx(base: Path, name: str, template: str, values: Mapping[str, str], ready_url: str) -> Proc:
    prefix = base / name
    prefix.mkdir()
    text = (ROOT / "configs" / "cluster" / template).read_text(encoding="utf-8")
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    for key, value in {"USER": user, "PREFIX": str(prefix), **values}.items():
        text = text.replace(f"@{key}@", value)
    (prefix / "nginx.conf").write_text(text, encoding="utf-8")
    executable = shutil.which("nginx") or "/usr/sbin/nginx"
    command = [executable, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
    return Proc(name, command, base / f"{name}.log", http_ok(ready_url), timeout=60)


def nginx(base: Path, app_urls: Sequence[str]) -> Proc:
    """nginx in front of the app processes (configs/cluster/nginx.conf)."""
    port = free_port()
    upstreams = "\n".join(
        f"        server {u.removeprefix('http://')} max_fails=1 fail_timeout=10s;" for u in app_urls
    )
    proc = _nginx(
        base,
        "nginx-apps",
        "nginx.conf",
        {"UPSTREAMS": upstreams, "LISTEN": f"{LOOPBACK}:{port}"},
        f"http://{LOOPBACK}:{port}/healthz",
    )
    proc.url = f"http://{LOOPBACK}:{port}"
    return proc


def health_aliases(base: Path, model_urls: Sequence[str]) -> tuple[Proc, list[str]]:
    """One nginx giving each llama.cpp server a /health (configs/cluster/llama-health.conf); returns
    it and the URLs the router is to use for the model servers."""
    ports = [free_port() for _ in model_urls]
    blocks = []
    for port, url in zip(ports, model_urls, strict=True):
        blocks.append(
            f"    server {{\n        listen {LOOPBACK}:{port};\n"
            f"        location = /health {{ proxy_pass {url}/openapi.json; }}\n"
            f"        location / {{ proxy_pass {url}; proxy_http_version 1.1; proxy_buffering off; "
            f"proxy_read_timeout 600s; }}\n    }}"
        )
    proc = _nginx(
        base,
        "nginx-models",
        "llama-health.conf",
        {"SERVERS": "\n".join(blocks)},
        f"http://{LOOPBACK}:{ports[0]}/health",
    )
    proc.ready = lambda: True  # its servers may still be loading their models
    return proc, [f"http://{LOOPBACK}:{p}" for p in ports]


class Cluster:
    """Every part of configs/cluster.yaml, started in order and stopped in reverse."""

    def __init__(self, base: Path, model: Path, apps: int = 2, models: int = 2) -> None:
        self.base = base
        self.parts: list[Proc] = []
        try:
            self._bring_up(model, apps, models)
        except BaseException:
            self.close()  # never leave half a cluster running
            raise

    def _bring_up(self, model: Path, apps: int, models: int) -> None:
        base = self.base
        self.postgres = Postgres(base)
        self._start(self.postgres.proc)
        self.database_url = self.postgres.create_database("careguide")
        self.chroma = self._start(chroma(base))
        self.secret = "cluster-test-secret-" + "0" * 32
        self.env = {
            "CAREGUIDE_REVIEW__DATABASE_URL": self.database_url,
            "CAREGUIDE_VECTOR_STORE__URL": self.chroma.url,
            "CAREGUIDE_VECTOR_STORE__COLLECTION": "cluster",
            "CAREGUIDE_SESSION_SECRET": self.secret,
            "CAREGUIDE_REPORTS_DIR": str(base / "reports"),
        }
        self.ingest(KB_FILES)
        self.models = [model_server(base, model, i + 1) for i in range(models)]
        for server in self.models:
            self._start(server)
        aliases, workers = health_aliases(base, [m.url for m in self.models])
        self._start(aliases)
        self.router = self._start(router(base, workers))
        self.env["CAREGUIDE_LLM__BASE_URL"] = f"{self.router.url}/v1"
        self.apps = [app_server(base, i + 1, self.env) for i in range(apps)]
        for app in self.apps:  # both start at once, migrating the empty database together
            self.parts.append(app.start(wait=False))
        for app in self.apps:
            app.wait_ready()
        self.proxy = self._start(nginx(base, [a.url for a in self.apps]))

    def _start(self, proc: Proc) -> Proc:
        self.parts.append(proc)
        return proc.start()

    def ingest(self, files: Sequence[str]) -> None:
        root = ROOT.parent / "shared" / "data" / "medquad"
        if not root.is_dir():
            root = Path("/work/shared/data/medquad")
        env = {**os.environ, **self.env, "CAREGUIDE_INDEX_DIR": str(self.base / "ingest-index")}
        subprocess.run(
            [
                str(BIN / "careguide"),
                "--config",
                str(ROOT / "configs" / "cluster.yaml"),
                "ingest",
                *(str(root / f) for f in files),
            ],
            check=True,
            env=env,
            cwd=ROOT,
            stdout=(self.base / "ingest.log").open("ab"),
            stderr=subprocess.STDOUT,
        )

    def close(self) -> None:
        for proc in reversed(self.parts):
            try:
                proc.stop()
            except Exception:  # keep stopping the others
                proc.kill()
