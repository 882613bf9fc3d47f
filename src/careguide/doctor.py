"""`careguide doctor` and ``/healthz``: what is installed and ready, and the one command that fixes
each part that is not.

Every check reads only (but for the model file's verification stamp): nothing is created,
migrated, downloaded or started, so the doctor can run
beside a live server. The model file's sha256 (1.1 GB) is computed once per process and file
version (size and modification time, remembered beside the file); ``/healthz`` can therefore
report it on every call.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from careguide.config import Settings

FREE_DISK_MIN = 2 << 30
"""Below 2 GiB free, a model pull (1.1 GB) or a full index (~300 MB) may not fit."""


@dataclass(frozen=True)
class Part:
    """One thing careguide needs, whether it is ready, what was seen, and how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, str | bool]:
        return asdict(self)


def model_runtime(settings: Settings) -> Part:
    llm = settings.llm
    if llm.backend != "llamacpp" or llm.base_url:
        where = llm.base_url or f"{llm.vllm.host}:{llm.vllm.port}"
        return Part("model runtime", True, f"{llm.backend} server at {where} (not started by careguide)")
    from careguide.models import runtime_problem

    problem = runtime_problem()
    if problem is not None:
        return Part("model runtime", False, f"llama-cpp-python is not installed in {sys.prefix}", "make llm")
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("llama_cpp_python")
    except PackageNotFoundError:
        installed = "unknown version"
    return Part("model runtime", True, f"llama-cpp-python {installed} (embedded llama.cpp server)")


def model_file(settings: Settings) -> Part:
    llm = settings.llm
    if llm.backend != "llamacpp" or llm.base_url:
        return Part("model file", True, f"served by the {llm.backend} server ({llm.served_model})")
    from careguide.models import MODELS

    packaged = MODELS.get(llm.model)
    path = packaged.target if packaged else Path(llm.model).expanduser()
    expected = packaged.sha256 if packaged else (llm.sha256 or "")
    pull = f"careguide models pull {llm.model}" if packaged else "fix llm.model (a GGUF path)"
    if not path.is_file():
        return Part("model file", False, f"{llm.model} is not at {path}", pull)
    stat = path.stat()
    size = f"{stat.st_size / 1e9:.2f} GB"
    if not expected:
        return Part("model file", True, f"{path} ({size}; no sha256 given to check)")
    from careguide.models import verified

    if not verified(path, expected):
        return Part(
            "model file", False, f"{path} does not match its sha256 {expected[:12]}…", f"rm {path} && {pull}"
        )
    return Part("model file", True, f"{path} ({size}, sha256 {expected[:12]}… verified)")


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


def embedding(settings: Settings) -> Part:
    from careguide.ingest import EmbeddingError, describe_backend

    try:
        return Part("embedding model", True, describe_backend(settings.embedding))
    except EmbeddingError as exc:
        return Part("embedding model", False, str(exc), "make install")


def index(settings: Settings) -> Part:
    from careguide.ingest import KnowledgeBase

    if not settings.vector_store.url and not (settings.index_dir / "chroma").is_dir():
        return Part("index", False, f"no index at {settings.index_dir} yet", "careguide ingest")
    try:
        knowledge = KnowledgeBase.open(settings)
        store = knowledge.store
        count = store.count()
    except Exception as exc:  # an unreadable index raises from deep inside Chroma
        fix = "careguide ingest --rebuild" if "careguide ingest --rebuild" in str(exc) else "careguide ingest"
        return Part("index", False, f"unreadable: {str(exc)[:300]}", fix)
    if count == 0:
        return Part("index", False, f"collection '{store.name}' is empty", "careguide ingest")
    state = knowledge.saved_state()
    detail = f"{count:,} chunks in '{store.name}', {store.indexed_embedding()} embeddings"
    from careguide.ingest import read_progress

    progress = read_progress(settings)
    if progress is not None and progress.error:
        return Part(
            "index", False, f"{detail}; background indexing stopped: {progress.error}", "careguide ingest"
        )
    if progress is not None and not progress.done:
        eta = progress.eta_s()
        left = f", about {eta / 60:.0f} min left" if eta is not None else ""
        return Part("index", True, f"{detail}; still adding sources: {progress.percent}% indexed{left}")
    if state is None or knowledge.dirty:
        return Part(
            "index",
            False,
            f"{detail}; the last ingest did not finish (BM25 index out of date)",
            "careguide ingest",
        )
    updated = (
        (store.lexical_dir / "state.json").stat().st_mtime
        if (store.lexical_dir / "state.json").exists()
        else 0
    )
    when = f", updated {_age(time.time() - updated)}" if updated else ""
    return Part("index", True, f"{detail}{when}")


def review_database(settings: Settings) -> Part:
    from careguide.review import database_url, sqlite_path

    url = database_url(settings)
    file = sqlite_path(url)
    if file is None:
        return Part("review database", True, f"{url.split('@')[-1]} (not checked from here)")
    if not file.exists():
        return Part("review database", True, f"{file} will be created at the first `careguide serve`")
    try:
        with sqlite3.connect(f"file:{file}?mode=ro", uri=True, timeout=2) as db:
            tables = db.execute("select count(*) from sqlite_master where type='table'").fetchone()[0]
    except sqlite3.Error as exc:
        return Part(
            "review database",
            False,
            f"{file} is unreadable ({exc})",
            f"check the file's owner and mode: ls -l {file}",
        )
    return Part("review database", True, f"{file} ({tables} tables)")


def chroma(settings: Settings) -> Part:
    url = settings.vector_store.url
    if not url:
        return Part("Chroma", True, f"embedded, at {settings.index_dir / 'chroma'}")
    from careguide.ingest import StoreError, chroma_client

    try:
        chroma_client(settings)
    except StoreError as exc:
        return Part("Chroma", False, str(exc), "chroma run --path DIR --host 127.0.0.1 --port PORT")
    return Part("Chroma", True, f"server at {url} answers")


def free_disk(settings: Settings) -> Part:
    from careguide.models import CACHE_DIR

    folders = {settings.index_dir.resolve(), CACHE_DIR}
    worst = min(
        ((shutil.disk_usage(_existing(f)).free, f) for f in folders),
        key=lambda pair: pair[0],
    )
    free, folder = worst
    detail = f"{free / 2**30:.1f} GiB free at {_existing(folder)}"
    if free < FREE_DISK_MIN:
        return Part("free disk", False, detail, f"free space on {_existing(folder)} (2 GiB or more)")
    return Part("free disk", True, detail)


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


CHECKS = (model_runtime, model_file, embedding, index, review_database, chroma, free_disk)


def diagnose(settings: Settings) -> list[Part]:
    """Every part, in the order a first run needs them."""
    return [check(settings) for check in CHECKS]
