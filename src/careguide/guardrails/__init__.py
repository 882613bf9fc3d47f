"""Guardrails: PHI redaction, emergency triage, unsafe-advice and prompt-injection checks, output
verification. The rest of careguide calls only ``Guardrails.check_input`` and ``check_output``."""

from careguide.guardrails.audit import AuditLog
from careguide.guardrails.classifiers import MODEL_FILES, SCOPE_MODEL
from careguide.guardrails.engine import Guardrails, OutputRegistry, Registry, open_guardrails
from careguide.guardrails.harm_classifier import DEFAULT_WEIGHTS as MEDICAL_HARM_WEIGHTS
from careguide.guardrails.harm_classifier import GENERAL_WEIGHTS as GENERAL_HARM_WEIGHTS
from careguide.guardrails.harm_classifier import HARM_CATEGORIES, HarmClassifier, HarmHead
from careguide.guardrails.harm_classifier import sentences as split_sentences
from careguide.guardrails.harm_classifier import train as train_harm_weights
from careguide.guardrails.phi import (
    DRUG_NAMES_FILE,
    PRESIDIO_DEFAULT_ENTITIES,
    SPACY_MODEL,
    AllowList,
    PhiRedactor,
    PhiSettings,
    loaded_pipeline,
)
from careguide.guardrails.policy import ScopeCheck, passage_injection_found
from careguide.guardrails.semantic import DEFAULT_BANK
from careguide.guardrails.settings import GuardrailsPolicy, load_policy
from careguide.guardrails.types import Action, Check, CheckContext, GuardDecision, OutputCheck, Span

__all__ = [
    "DEFAULT_BANK",
    "DRUG_NAMES_FILE",
    "GENERAL_HARM_WEIGHTS",
    "HARM_CATEGORIES",
    "MEDICAL_HARM_WEIGHTS",
    "MODEL_FILES",
    "PRESIDIO_DEFAULT_ENTITIES",
    "SCOPE_MODEL",
    "SPACY_MODEL",
    "Action",
    "AllowList",
    "AuditLog",
    "Check",
    "CheckContext",
    "GuardDecision",
    "Guardrails",
    "GuardrailsPolicy",
    "HarmClassifier",
    "HarmHead",
    "OutputCheck",
    "OutputRegistry",
    "PhiRedactor",
    "PhiSettings",
    "Registry",
    "ScopeCheck",
    "Span",
    "load_policy",
    "loaded_pipeline",
    "open_guardrails",
    "passage_injection_found",
    "split_sentences",
    "train_harm_weights",
]
