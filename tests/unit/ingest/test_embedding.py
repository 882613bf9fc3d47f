"""Backend choice and the ids recorded in an index (no model loaded)."""

from __future__ import annotations

import pytest

from careguide.config import EmbeddingSettings
from careguide.ingest import EmbeddingError, describe_backend, load_embedder, runs_on_onnx
from careguide.ingest.embedding import embedding_id


def test_the_default_backend_is_int8_onnx_on_the_cpu():
    settings = EmbeddingSettings()
    assert settings.backend == "onnx"
    assert runs_on_onnx(settings)
    assert embedding_id(settings).endswith(":onnx-int8")


def test_fp32_onnx_shares_torchs_index_id():
    torch, fp32 = EmbeddingSettings(backend="torch"), EmbeddingSettings(backend="onnx-fp32")
    assert embedding_id(torch) == embedding_id(fp32)
    assert embedding_id(EmbeddingSettings(backend="onnx")) != embedding_id(torch)


def test_a_gpu_runs_torch():
    assert not runs_on_onnx(EmbeddingSettings(backend="onnx-fp32", device="cuda"))
    assert not runs_on_onnx(EmbeddingSettings(backend="torch"))


def test_int8_on_a_gpu_is_a_clear_error():
    with pytest.raises(EmbeddingError, match=r"embedding\.backend: torch"):
        load_embedder(EmbeddingSettings(backend="onnx", device="cuda"))


def test_the_backend_line_says_whether_the_onnx_export_is_built(tmp_path):
    line = describe_backend(EmbeddingSettings(), cache_dir=tmp_path)
    assert "int8 ONNX" in line and "exported at the first use" in line
    assert "on torch (cpu)" in describe_backend(EmbeddingSettings(backend="torch"), cache_dir=tmp_path)
