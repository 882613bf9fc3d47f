"""Length-sorted embedding windows: every chunk once, similar lengths together."""

from __future__ import annotations

import random

from careguide.ingest.documents import Chunk
from careguide.ingest.pipeline import _batches


def chunk(n: int, words: int) -> Chunk:
    return Chunk(f"c{n}", f"d{n // 3}", "/kb", n % 3, 3, "w " * words, "", "", "src", "Org", "https://x", "l")


def test_every_chunk_once_sorted_within_windows() -> None:
    rng = random.Random(0)
    chunks = [chunk(n, rng.randint(1, 200)) for n in range(1000)]
    batches = list(_batches(chunks, size=64, window=256))
    flat = [c for batch in batches for c in batch]
    assert sorted(c.chunk_id for c in flat) == sorted(c.chunk_id for c in chunks)
    assert all(len(b) <= 64 for b in batches)
    for start in range(0, 1000, 256):  # a window's chunks stay in that window, in length order
        window = flat[start : start + 256]
        assert {c.chunk_id for c in window} == {c.chunk_id for c in chunks[start : start + 256]}
        lengths = [len(c.indexed_text) for c in window]
        assert lengths == sorted(lengths)
