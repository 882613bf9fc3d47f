"""Guardrails: PHI redaction, emergency triage, unsafe-advice and prompt-injection checks, output
verification. The rest of careguide calls only ``Guardrails.check_input`` and ``check_output``."""

from careguide.guardrails.audit import AuditLog
from careguide.guardrails.engine import Guardrails, Registry, open_guardrails
from careguide.guardrails.kb_terms import knowledge_base_terms
from careguide.guardrails.settings import GuardrailsPolicy, load_policy
from careguide.guardrails.types import Action, Check, CheckContext, GuardDecision, Span

__all__ = [
    "Action",
    "AuditLog",
    "Check",
    "CheckContext",
    "GuardDecision",
    "Guardrails",
    "GuardrailsPolicy",
    "Registry",
    "Span",
    "knowledge_base_terms",
    "load_policy",
    "open_guardrails",
]
