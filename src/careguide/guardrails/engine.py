"""The two entry points the rest of careguide uses: ``check_input`` and ``check_output``.

Input: PHI is redacted first; every later check, the audit log and anything downstream see only
the redacted text. Output: PHI echoed back is redacted, personal dose instructions and numbers that
no passage contains are removed, and instructions planted in passages are flagged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from careguide.config import ConfigError, Settings
from careguide.guardrails.audit import AuditLog
from careguide.guardrails.classifiers import MODEL_FILES, SCOPE_MODEL, ClassifierCheck, LinearModel
from careguide.guardrails.harm_classifier import DEFAULT_WEIGHTS, HarmClassifier, harm_gate, harm_head_layers
from careguide.guardrails.output import OutputVerifier, PassageInjectionCheck
from careguide.guardrails.phi import AllowList, PhiRedactor, PhiSettings, medical_terms, packaged_drug_words
from careguide.guardrails.policy import (
    MessageSizeCheck,
    ScopeCheck,
    harmful_request_check,
    injection_check,
    personal_decision_check,
)
from careguide.guardrails.red_flags import piece_layers
from careguide.guardrails.semantic import ExemplarBank, LastMessageEmbedder, SemanticCheck, unit_vectors
from careguide.guardrails.settings import GuardrailsPolicy, load_policy
from careguide.guardrails.triage import EmergencyTriage
from careguide.guardrails.types import Check, CheckContext, GuardDecision, OutputCheck, merge
from careguide.ingest import Embedder, KnowledgeBase, KnowledgeBaseTerms, classifier_embedder

RAW_TEXT_CHECKS = ("triage",)


@dataclass(frozen=True)
class Registry:
    """The configured checks, in the order they run (PHI is separate: it runs first)."""

    checks: tuple[Check, ...]

    @classmethod
    def from_policy(
        cls, policy: GuardrailsPolicy, vocabulary: frozenset[str], embedder: Embedder | None = None
    ) -> Registry:
        enabled = policy.checks
        if embedder is not None:
            embedder = LastMessageEmbedder(embedder)  # a message and its pieces: one call
        messages = {
            name: policy.message(name) for name in ("emergency", "self_harm", "poisoning", "harm_others")
        }
        scope = ScopeCheck(
            policy.message("out_of_scope"),
            vocabulary,
            health_probability=_scope_model(embedder) if enabled.scope_model and enabled.scope else None,
            model_threshold=policy.semantic.scope_model.threshold,
        )
        if enabled.harm_classifier and embedder is not None and not DEFAULT_WEIGHTS.is_file():
            raise ConfigError(
                f"checks.harm_classifier is on but {DEFAULT_WEIGHTS} is missing; run "
                f"`careguide train-harm-classifier` or set checks.harm_classifier: false."
            )
        candidates: list[tuple[bool, Check]] = [
            (
                enabled.message_size,
                MessageSizeCheck(policy.max_message_chars, policy.message("message_too_long")),
            ),
            (enabled.triage, EmergencyTriage(messages, reasons=dict(policy.emergency_reasons))),
            (enabled.harmful_request, harmful_request_check(policy.message("harmful_request"))),
            (enabled.prompt_injection, injection_check(policy.message("prompt_injection"))),
            *(
                [
                    (
                        True,
                        HarmClassifier.load(
                            DEFAULT_WEIGHTS, embedder, policy.message("harmful_request"), scope.about_health
                        ),
                    )
                ]
                if enabled.harm_classifier and embedder is not None
                else []
            ),
            *cls._semantic_layers(policy, embedder, scope.keeps),
            *piece_layers(policy, embedder),
            (enabled.personal_decision, personal_decision_check(policy.message("personal_decision"))),
            (enabled.scope, scope),
        ]
        checks = tuple(check for on, check in candidates if on)
        if isinstance(embedder, LastMessageEmbedder):
            # The layers that read a message's pieces name them, so the first layer to embed a
            # message embeds the pieces with it, in one batched call.
            for check in checks:
                pieces_of = getattr(check, "pieces_of", None)
                if pieces_of is not None:
                    embedder.add_pieces(pieces_of)
        return cls(checks)

    @staticmethod
    def _semantic_layers(
        policy: GuardrailsPolicy, embedder: Embedder | None, in_scope: Callable[[str], bool]
    ) -> list[tuple[bool, Check]]:
        """``in_scope``: whether the scope check lets a message through (the harm head's threshold
        for it is then ``threshold``, else ``outside_scope``)."""
        enabled, layers = policy.checks, policy.semantic
        if embedder is None or not semantic_layers_on(policy):
            return []
        bank = ExemplarBank.load(embedder)
        crisis = policy.message("self_harm")
        harmful = policy.message("harmful_request")
        models = {
            family: _classifier(family, policy, bank)
            for family in MODEL_FILES
            if getattr(enabled, f"{family}_model") and MODEL_FILES[family].is_file()
        }

        def gate(family: str) -> Callable[[str], float] | None:
            model = models.get(family)
            return None if model is None else (lambda text: float(model.probability([text])[0]))

        general = harm_head_layers(policy, embedder, in_scope, crisis=gate("crisis"))
        return [
            *general,
            *((True, model) for model in models.values()),
            (
                enabled.semantic_triage,
                SemanticCheck(
                    "semantic_triage",
                    "emergency",
                    bank,
                    layers.emergency.threshold,
                    layers.emergency.margin,
                    "escalate",
                    lambda category: policy.emergency_message(category),
                    category_prefix="emergency.",
                    skip_general_questions=True,
                    gate=gate("emergency"),
                    gate_threshold=layers.emergency.gate,
                ),
            ),
            (
                enabled.semantic_crisis,
                SemanticCheck(
                    "semantic_crisis",
                    "crisis",
                    bank,
                    layers.crisis.threshold,
                    layers.crisis.margin,
                    "escalate",
                    lambda category: crisis,
                    category_prefix="self_harm.",
                    gate=gate("crisis"),
                    gate_threshold=layers.crisis.gate,
                ),
            ),
            (
                enabled.semantic_harm,
                SemanticCheck(
                    "semantic_harm",
                    "harmful",
                    bank,
                    layers.harmful.threshold,
                    layers.harmful.margin,
                    "refuse",
                    lambda category: harmful,
                    category_prefix="harmful_request.",
                    gate=harm_gate(general),
                    gate_threshold=layers.harmful.gate,
                ),
            ),
        ]


@dataclass(frozen=True)
class OutputRegistry:
    """The configured output checks, in the order they run on an answer (PHI is separate: it runs
    first, and only on what the model wrote)."""

    checks: tuple[OutputCheck, ...]

    @classmethod
    def from_policy(cls, policy: GuardrailsPolicy) -> OutputRegistry:
        enabled = policy.checks
        candidates: list[tuple[bool, OutputCheck]] = [
            (enabled.output_verifier, OutputVerifier(policy.message("personal_decision"))),
            (enabled.passage_injection, PassageInjectionCheck()),
        ]
        return cls(tuple(check for on, check in candidates if on))


def _scope_model(embedder: Embedder | None) -> Callable[[str], float] | None:
    """The scope classifier's probability that a message is about health (None: no embedder or no
    weights, so the scope check reads words alone)."""
    if embedder is None or not SCOPE_MODEL.is_file():
        return None
    model = LinearModel.load(SCOPE_MODEL)
    return lambda text: float(model.probability(unit_vectors(np.asarray(embedder.embed([text]))))[0])


def _classifier(family: str, policy: GuardrailsPolicy, bank: ExemplarBank) -> ClassifierCheck:
    """The emergency or crisis classifier as a layer; the bank names the category for the reply."""
    crisis = policy.message("self_harm")
    if family == "emergency":
        return ClassifierCheck(
            "emergency_model",
            "emergency",
            LinearModel.load(MODEL_FILES["emergency"]),
            policy.semantic.emergency_model.threshold,
            "escalate",
            policy.emergency_message,
            bank,
            category_prefix="emergency.",
            default_category="symptoms",
            skip_general_questions=True,
        )
    return ClassifierCheck(
        "crisis_model",
        "crisis",
        LinearModel.load(MODEL_FILES["crisis"]),
        policy.semantic.crisis_model.threshold,
        "escalate",
        lambda category: crisis,
        bank,
        category_prefix="self_harm.",
        default_category="crisis",
    )


def with_crisis_line(
    decision: GuardDecision, decisions: Sequence[GuardDecision], crisis: str
) -> GuardDecision:
    """An overdose taken to die is an emergency and a crisis: when a crisis layer also fired, the
    emergency reply is followed by the crisis line."""
    crisis_fired = any(d.action == "escalate" and d.category.startswith("self_harm") for d in decisions)
    if decision.action != "escalate" or not crisis_fired or crisis in decision.message:
        return decision
    return replace(decision, message=f"{decision.message} {crisis}")


def semantic_layers_on(policy: GuardrailsPolicy) -> bool:
    checks = policy.checks
    return (
        checks.semantic_triage
        or checks.semantic_crisis
        or checks.semantic_harm
        or checks.harm_general
        or checks.emergency_model
        or checks.crisis_model
        or checks.emergency_sentences
        or checks.emergency_concepts
    )


class Guardrails:
    """Runs the input and output checks and writes every decision to the audit log."""

    def __init__(
        self,
        policy: GuardrailsPolicy,
        terms: KnowledgeBaseTerms | None = None,
        audit: AuditLog | None = None,
        redactor: PhiRedactor | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.policy = policy
        terms = terms or KnowledgeBaseTerms()
        topic_words = medical_terms([*policy.phi.allow_list, *terms.topics])
        vocabulary = topic_words | medical_terms(terms.title_names) | packaged_drug_words()
        self.redactor = redactor or (
            PhiRedactor(
                PhiSettings(
                    entities=policy.phi.entities,
                    placeholders=dict(policy.phi.placeholders),
                    score_threshold=policy.phi.score_threshold,
                ),
                AllowList(vocabulary),
            )
            if policy.checks.phi
            else None
        )
        self.registry = Registry.from_policy(policy, topic_words, embedder)
        scopes = [c for c in self.registry.checks if isinstance(c, ScopeCheck)]
        self.about_health = (scopes[0] if scopes else ScopeCheck("", topic_words)).about_health
        """Whether a message has a health or knowledge-base word, or the scope classifier reads it as
        about health (the scope check's test)."""
        self.in_scope = (scopes[0] if scopes else ScopeCheck("", topic_words)).keeps
        """Whether the scope check lets a message through (about health, or short)."""
        self.outputs = OutputRegistry.from_policy(policy)
        self.audit = audit

    def redact(self, text: str) -> GuardDecision:
        if self.redactor is None:
            return GuardDecision(action="allow", redacted=text)
        decision = self.redactor.check(text, CheckContext())
        if decision.action != "redact":
            return decision
        kinds = ", ".join(sorted({self.redactor.placeholder(s.entity_type) for s in decision.spans}))
        return GuardDecision(
            action="redact",
            redacted=decision.redacted,
            reasons=decision.reasons,
            checks=decision.checks,
            spans=decision.spans,
            notice=self.policy.message("phi_removed", kinds=kinds),
            category="phi",
        )

    def check_input(
        self, message: str, history: Sequence[str] = (), conversation_id: str = ""
    ) -> GuardDecision:
        """Decide what to do with a patient's message; ``redacted`` is the only text to keep."""
        phi = self.redact(message)
        context = CheckContext(history=tuple(history), locale=self.policy.locale)
        decisions = [phi]
        for check in self.registry.checks:
            decision = check.check(phi.redacted, context)
            if decision.action == "allow" and check.name in RAW_TEXT_CHECKS and phi.action == "redact":
                # A placeholder can hide the words that matter ("kms" looks like a name to NER);
                # triage reads the original in memory. Its decision carries no text of the message.
                raw = check.check(message, context)
                decision = raw if raw.action != "allow" else decision
            decisions.append(decision)
        decision = with_crisis_line(
            merge([d for d in decisions if d.action != "allow" or d.notice], phi.redacted),
            decisions,
            self.policy.message("self_harm"),
        )
        if self.audit is not None:
            self.audit.record("input", decision, conversation_id)
        return decision

    def check_output(
        self, answer: str, passages: Sequence[str], conversation_id: str = "", phi: bool = True
    ) -> GuardDecision:
        """Verify an answer before it is shown; ``redacted`` is the answer to show.

        ``phi``: look for PHI the model echoed (Presidio). Off for text the model did not write
        (sentences quoted from the passages, whose question was redacted before the search)."""
        found = self.redact(answer) if phi else GuardDecision(action="allow", redacted=answer)
        context = CheckContext(passages=tuple(passages))
        text, decisions = found.redacted, [found]
        for check in self.outputs.checks:
            decisions.append(check.check(text, context))
            text = decisions[-1].redacted  # the next check sees the answer as this one left it
        decision = merge([d for d in decisions if d.action != "allow" or d.reasons], text)
        if self.audit is not None:
            self.audit.record("output", decision, conversation_id)
        return decision


def open_guardrails(
    settings: Settings, audit: bool = True, knowledge: KnowledgeBase | None = None
) -> Guardrails:
    """Guardrails from the configured policy, with the terms of ``knowledge`` (default: the
    configured collection's) in the allow-list, as the knowledge base is now."""
    policy = load_policy(settings.guardrails)
    terms = (knowledge or KnowledgeBase.open(settings)).terms()
    semantic = policy.checks.harm_classifier or semantic_layers_on(policy)
    embedder = classifier_embedder(settings.embedding) if semantic else None
    return Guardrails(policy, terms, AuditLog(policy.audit_log) if audit else None, embedder=embedder)
