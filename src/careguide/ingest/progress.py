"""How far the default knowledge base is indexed, kept beside the index for `careguide doctor`.

A server that indexes in the background (``careguide serve --index-rest``) writes it after every
batch; the chat reads the same figure from memory to show "still adding sources: 41% indexed".
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from careguide.config import Settings

FILE = "indexing.json"


@dataclass
class IndexProgress:
    documents_total: int = 0
    documents_done: float = 0.0
    done_at_start: float = 0.0
    started: float = 0.0
    updated: float = 0.0
    done: bool = False
    pid: int = 0
    error: str = ""

    @property
    def percent(self) -> int:
        if self.done or not self.documents_total:
            return 100 if self.done else 0
        return min(99, int(100 * self.documents_done / self.documents_total))

    def eta_s(self) -> float | None:
        """Seconds left at the rate since this run started, or None before there is a rate."""
        elapsed = self.updated - self.started
        gained = self.documents_done - self.done_at_start
        if elapsed <= 0 or gained <= 0:
            return None
        return (self.documents_total - self.documents_done) * elapsed / gained


def progress_file(settings: Settings) -> Path:
    return settings.index_dir / FILE


def write_progress(settings: Settings, progress: IndexProgress) -> None:
    progress.updated = time.time()
    path = progress_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(asdict(progress)))
    partial.replace(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_progress(settings: Settings) -> IndexProgress | None:
    """The last progress written, or None (none written, unreadable, or its writer has exited)."""
    try:
        data = json.loads(progress_file(settings).read_text())
        progress = IndexProgress(**data)
    except (OSError, ValueError, TypeError):
        return None
    if not progress.done and progress.pid and not _alive(progress.pid):
        return None
    return progress


def indexing_notice(settings: Settings) -> str:
    """The chat's notice while sources are still being added ("" once all are in)."""
    progress = read_progress(settings)
    if progress is None or progress.done or progress.error:
        return ""
    return (
        f"Still adding sources: {progress.percent}% indexed. "
        "Answers may miss topics that are not searchable yet."
    )
