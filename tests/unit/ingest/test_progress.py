"""Background-indexing progress: the percentage, a writer that died, the chat's notice."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from careguide.config import Settings, load_settings
from careguide.ingest.progress import IndexProgress, indexing_notice, read_progress, write_progress


def settings_at(tmp_path: Path) -> Settings:
    return load_settings().model_copy(update={"index_dir": tmp_path})


def test_percent_and_eta() -> None:
    progress = IndexProgress(
        documents_total=200, documents_done=82, done_at_start=22, started=100.0, updated=160.0
    )
    assert progress.percent == 41
    assert progress.eta_s() == 118.0  # 60 documents a minute, 118 to go
    assert IndexProgress(documents_total=10, documents_done=10).percent == 99  # 100 only when done
    assert IndexProgress(done=True).percent == 100


def test_notice_while_indexing_then_none(tmp_path: Path) -> None:
    settings = settings_at(tmp_path)
    assert indexing_notice(settings) == ""
    progress = IndexProgress(documents_total=200, documents_done=82, pid=os.getpid())
    write_progress(settings, progress)
    assert indexing_notice(settings).startswith("Still adding sources: 41% indexed.")
    progress.done = True
    write_progress(settings, progress)
    assert indexing_notice(settings) == ""


def test_progress_of_a_process_that_exited_is_ignored(tmp_path: Path) -> None:
    settings = settings_at(tmp_path)
    exited = _dead_pid()
    write_progress(settings, IndexProgress(documents_total=5, pid=exited))
    assert read_progress(settings) is None
    (tmp_path / "indexing.json").write_text("{not json")
    assert read_progress(settings) is None


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid
