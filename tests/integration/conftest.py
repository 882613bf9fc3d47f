"""Real components for integration tests: the packaged embedding model, Chroma (embedded and a
`chroma run` server on 127.0.0.1) and real MedQuAD files from the data directory."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from careguide.config import EmbeddingSettings, Settings, VectorStoreSettings, load_settings
from careguide.ingest import Chunker, Embedder, load_embedder
from careguide.ingest.embedding import Vectors

MEDQUAD_FILES = (
    "3_GHR_QA/0000001.xml",  # Aarskog-Scott syndrome
    "5_NIDDK_QA/0000001.xml",  # acromegaly
    "9_CDC_QA/0000397.xml",  # taeniasis (the <DiseaseFile> spelling)
    "6_NINDS_QA/0000007.xml",  # Holmes-Adie (the <doc> spelling)
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder(EmbeddingSettings())


class CountingEmbedder:
    """The real embedder, counting how many texts it was asked to embed."""

    def __init__(self, inner: Embedder, fail_after_calls: int | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.texts = 0
        self.calls = 0
        self.fail_after_calls = fail_after_calls

    def embed(self, texts: Sequence[str]) -> Vectors:
        if self.fail_after_calls is not None and self.calls >= self.fail_after_calls:
            raise KeyboardInterrupt  # what a user's Ctrl-C looks like mid-ingest
        self.calls += 1
        self.texts += len(texts)
        return self.inner.embed(texts)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (`chroma run`) on a free loopback port."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("chroma run did not start within 60 s")
        time.sleep(0.3)
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(params=["embedded", "server"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh index, on embedded Chroma and on the Chroma server."""
    base = load_settings()
    url = request.getfixturevalue("chroma_server") if request.param == "server" else None
    collection = "t-" + re.sub(r"[^a-zA-Z0-9_-]", "-", request.node.name)[-50:].strip("-_") + "-c"
    return base.model_copy(
        update={
            "index_dir": tmp_path / "index",
            "vector_store": VectorStoreSettings(url=url, collection=collection),
        }
    )


@pytest.fixture
def chunker(embedder: Embedder) -> Chunker:
    return Chunker(embedder.count_tokens, max_tokens=200, overlap_tokens=40)


@pytest.fixture
def medquad_sample(tmp_path: Path, medquad_dir: Path) -> Path:
    """A few real MedQuAD files copied into a folder of their own."""
    folder = tmp_path / "medquad"
    folder.mkdir()
    for name in MEDQUAD_FILES:
        shutil.copy(medquad_dir / name, folder / name.replace("/", "-"))
    return folder
