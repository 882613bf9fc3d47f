"""Guardrails: PHI redaction, triage, unsafe-advice and prompt-injection checks (not built yet)."""
