from pathlib import Path

import pytest

from careguide.config import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_profile_loads():
    settings = load_settings()
    assert settings.retrieval.mode == "hybrid"
    assert len(settings.knowledge_base.medquad_subsets) == 9
    assert not any(s.startswith(("10_", "11_", "12_")) for s in settings.knowledge_base.medquad_subsets)


def test_unknown_key_names_the_key(tmp_path):
    path = write(tmp_path, "vector_store:\n  urll: http://x\n")
    with pytest.raises(ConfigError, match=r"Unknown setting 'vector_store\.urll'"):
        load_settings(path)


def test_invalid_value_names_the_key(tmp_path):
    path = write(tmp_path, "retrieval:\n  k: zero\n")
    with pytest.raises(ConfigError, match=r"Invalid value for setting 'retrieval\.k'"):
        load_settings(path)


def test_environment_overrides_profile(tmp_path, monkeypatch):
    path = write(tmp_path, "retrieval:\n  k: 7\n")
    assert load_settings(path).retrieval.k == 7
    monkeypatch.setenv("CAREGUIDE_RETRIEVAL__K", "9")
    monkeypatch.setenv("CAREGUIDE_VECTOR_STORE__URL", "http://127.0.0.1:9")
    settings = load_settings(path)
    assert settings.retrieval.k == 9
    assert settings.vector_store.url == "http://127.0.0.1:9"


def test_unknown_environment_variable_is_refused(monkeypatch):
    monkeypatch.setenv("CAREGUIDE_RETRIEVL__K", "3")
    with pytest.raises(ConfigError, match="CAREGUIDE_RETRIEVL__K"):
        load_settings()


def test_profile_from_environment_and_missing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREGUIDE_CONFIG", str(tmp_path / "absent.yaml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_malformed_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(write(tmp_path, "retrieval: [k: 3\n"))


def test_cache_secret_and_test_switches_are_not_taken_for_settings(monkeypatch):
    from careguide.config import load_settings

    monkeypatch.setenv("CAREGUIDE_CACHE", "/tmp/cache")
    monkeypatch.setenv("CAREGUIDE_SESSION_SECRET", "x" * 32)
    monkeypatch.setenv("CAREGUIDE_TEST_SOMETHING", "1")
    assert load_settings().llm.backend == "llamacpp"
