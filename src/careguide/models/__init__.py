"""Local language models: assembly, sha256 verification, LLM server lifecycle (not built yet)."""
