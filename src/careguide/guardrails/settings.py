"""The guardrails policy file (configs/guardrails.yaml), typed and validated like the main settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from careguide.config import DEFAULT_PROFILE, ConfigError, describe_validation_error, read_profile

DEFAULT_POLICY = DEFAULT_PROFILE.with_name("guardrails.yaml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Numbers(_Section):
    emergency: str
    crisis: str
    poison: str
    violence: str


class Messages(_Section):
    emergency: str
    self_harm: str
    poisoning: str
    harm_others: str
    harmful_request: str
    prompt_injection: str
    out_of_scope: str
    message_too_long: str
    personal_decision: str
    phi_removed: str


class Checks(_Section):
    phi: bool = True
    message_size: bool = True
    triage: bool = True
    harmful_request: bool = True
    harm_classifier: bool = True
    prompt_injection: bool = True
    personal_decision: bool = True
    scope: bool = True
    # Semantic layers (nearest exemplars by sentence embedding, guardrails/data/exemplars.yaml).
    semantic_triage: bool = True
    semantic_crisis: bool = True
    semantic_harm: bool = True
    # The general harm head: harmful requests of any topic with their reason category (weights in
    # src/careguide/guardrails/data/harm_general.json; `python -m careguide.eval.safety_train --family harm`).
    harm_general: bool = True
    # Calibrated classifiers on sentence embeddings for emergencies and crisis language
    # (src/careguide/guardrails/data/{emergency,crisis}_model.json; see docs/guardrails.md).
    emergency_model: bool = True
    crisis_model: bool = True
    # The scope check also reads a message with no health word with a classifier (is it about
    # health at all?) before redirecting it (guardrails/data/scope_model.json; eval/scope_train.py).
    scope_model: bool = True
    # Emergency layers that read a message piece by piece (guardrails/red_flags.py): the emergency
    # classifier on each sentence, and red-flag concept combinations in its clauses.
    emergency_sentences: bool = True
    emergency_concepts: bool = True
    # Output checks, run on every answer in this order after PHI (guardrails/output.py).
    output_verifier: bool = True
    passage_injection: bool = True


class Layer(_Section):
    """A semantic layer fires at ``threshold`` cosine similarity and ``margin`` over benign exemplars."""

    threshold: float = Field(ge=0.0, le=1.0)
    margin: float = Field(0.0, ge=-1.0, le=1.0)
    # Exemplar layers only: the family classifier's probability the message must also reach (0: none).
    gate: float = Field(0.0, ge=0.0, le=1.0)


class ConceptLayer(_Section):
    """Cosine similarity a clause must reach to carry a red-flag concept: ``together`` for a concept
    in a combination (fever + stiff neck), ``alone`` for a concept that is an emergency by itself."""

    together: float = Field(0.65, ge=0.0, le=1.0)
    alone: float = Field(0.73, ge=0.0, le=1.0)


class HarmHeadLayer(_Section):
    """The general harm head (checks.harm_general): it refuses (or, for self-harm, escalates) when
    the highest harm probability over the message and its sentences reaches ``threshold`` in a
    message with a health word, or ``outside_scope`` in one without (those are redirected by the
    scope check anyway, so a refusal with a reason needs more certainty there)."""

    threshold: float = Field(0.883, ge=0.0, le=1.0)
    outside_scope: float = Field(0.964, ge=0.0, le=1.0)
    # Sentences scored per message; beyond it the rest is scored as one.
    max_sentences: int = Field(12, ge=1, le=100)
    # A sentence counts when the whole message's probability reaches this (0: every sentence counts).
    sentence_floor: float = Field(0.0, ge=0.0, le=1.0)
    # A self-harm category (the crisis reply) needs the crisis classifier to give at least this
    # probability too (0: no such gate).
    crisis_gate: float = Field(0.0, ge=0.0, le=1.0)


class Semantic(_Section):
    emergency: Layer = Layer(threshold=0.5, margin=0.03)
    crisis: Layer = Layer(threshold=0.46, margin=0.03)
    harmful: Layer = Layer(threshold=0.44, margin=0.06)
    harm_general: HarmHeadLayer = HarmHeadLayer()
    # Probability at which the emergency / crisis classifiers escalate (margin unused).
    emergency_model: Layer = Layer(threshold=0.5)
    crisis_model: Layer = Layer(threshold=0.5)
    # Probability of being about health at which a message with no health word stays in scope.
    scope_model: Layer = Layer(threshold=0.5)
    # Probability at which the emergency classifier escalates on one sentence or adjacent pair.
    emergency_sentences: Layer = Layer(threshold=0.75)
    emergency_concepts: ConceptLayer = ConceptLayer()


class PhiPolicy(_Section):
    score_threshold: float = Field(0.4, ge=0.0, le=1.0)
    entities: tuple[str, ...]
    placeholders: dict[str, str]
    allow_list: tuple[str, ...] = ()


class GuardrailsPolicy(_Section):
    locale: str = "en-US"
    numbers: dict[str, Numbers]
    messages: Messages
    checks: Checks = Checks()
    phi: PhiPolicy
    semantic: Semantic = Semantic()
    # Why an emergency needs care now, per triage category; shown before the emergency message.
    emergency_reasons: dict[str, str] = {}
    max_message_chars: int = Field(4000, ge=100)
    audit_log: Path = Path("data/audit.jsonl")

    @model_validator(mode="after")
    def _locale_has_numbers(self) -> GuardrailsPolicy:
        if self.locale not in self.numbers:
            raise ValueError(f"locale '{self.locale}' has no emergency numbers under 'numbers'")
        return self

    def emergency_message(self, category: str) -> str:
        """The emergency reply, led by why this category needs care now when a reason is configured."""
        reason = self.emergency_reasons.get(category, "")
        return f"{reason} {self.message('emergency')}".strip()

    def message(self, name: str, **values: str) -> str:
        """A reviewed message with the active locale's numbers filled in."""
        text: str = getattr(self.messages, name)
        return text.format(**self.numbers[self.locale].model_dump(), **values)


def load_policy(path: Path | None = None) -> GuardrailsPolicy:
    path = path or DEFAULT_POLICY
    values = read_profile(path)
    try:
        return GuardrailsPolicy(**values)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(dict(exc.errors()[0]), str(path))) from None
