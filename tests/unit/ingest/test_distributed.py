"""The Ray indexer's errors, without Ray running."""

from __future__ import annotations

import sys

import pytest

from careguide.config import load_settings
from careguide.ingest import IngestReport, RayIndexer, RayUnavailableError
from careguide.ingest.documents import Document, Section
from careguide.ingest.errors import StoreError
from careguide.ingest.pipeline import SilentObserver


class _Store:
    name = "unit-test"


def test_missing_ray_is_a_one_sentence_error_naming_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    indexer = RayIndexer(load_settings(), _Store(), workers=1)  # type: ignore[arg-type]
    document = Document("k", "t", (Section("Some text."),), "local")
    with pytest.raises(RayUnavailableError, match=r"careguide\[cluster\]"):
        indexer.index([document], SilentObserver(), IngestReport())


def test_no_documents_needs_no_ray(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    report = IngestReport()
    RayIndexer(load_settings(), _Store()).index([], SilentObserver(), report)  # type: ignore[arg-type]
    assert report.chunks_indexed == 0


def test_workers_must_be_positive():
    with pytest.raises(StoreError, match="--workers"):
        RayIndexer(load_settings(), _Store(), workers=0)  # type: ignore[arg-type]
