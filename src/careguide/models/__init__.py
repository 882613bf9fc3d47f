"""Local model files (assembled from PyPI parts, verified by sha256) and the LLM backends."""

from careguide.models.assembly import MODELS, ModelError, PartedModel, pull, sha256_of, verify
from careguide.models.backends import Backend, open_backend

__all__ = ["MODELS", "Backend", "ModelError", "PartedModel", "open_backend", "pull", "sha256_of", "verify"]
