"""A fresh review database (a real SQLite file, migrated) per test, with cheap bcrypt rounds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from careguide.review import ReviewStore, open_review_store

CITATIONS = [
    {
        "n": 1,
        "chunk_id": "c1",
        "title": "Asthma",
        "source": "NHLBI",
        "url": "https://www.nhlbi.nih.gov/health/asthma",
        "quote": "Asthma is a chronic lung disease.",
    }
]
BODY = "# Asthma action plan\n\nUse your reliever inhaler when you wheeze.\n\n## When to get help\n\nCall your care team if the reliever does not help.\n"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "review.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[ReviewStore]:
    with open_review_store(sqlite_url(db_path), bcrypt_rounds=4) as opened:
        yield opened


def new_material(store: ReviewStore, body: str = BODY, author: str = "alice") -> int:
    return store.create_material(
        topic="Asthma action plan",
        audience="patients",
        reading_level="standard",
        format="handout",
        body=body,
        citations=CITATIONS,
        grade=6.2,
        author=author,
    )
