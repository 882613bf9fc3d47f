"""The decision type every check returns, and the Check and OutputCheck protocols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Action = Literal["allow", "redact", "rewrite", "refuse", "escalate"]

SEVERITY: dict[Action, int] = {"allow": 0, "redact": 1, "rewrite": 2, "refuse": 3, "escalate": 4}


@dataclass(frozen=True)
class Span:
    """Where a check found something (never the text itself: it may be PHI)."""

    entity_type: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class CheckContext:
    """What a check may look at besides the text: the (redacted) history and retrieved passages."""

    history: tuple[str, ...] = ()
    passages: tuple[str, ...] = ()
    locale: str = "en-US"


@dataclass(frozen=True)
class GuardDecision:
    """One check's verdict, or several merged.

    ``redacted`` is the text with PHI replaced by placeholders: the only form of the text that
    may be logged, stored, embedded or sent to a model. ``message`` is the fixed, reviewed reply for
    an escalation, refusal or redirect; ``notice`` is text to add to an answer (e.g. "ask your care
    team"). ``category`` names what was detected (``emergency.cardiac``, ``self_harm``, ...).
    """

    action: Action
    redacted: str
    reasons: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()
    message: str = ""
    notice: str = ""
    category: str = ""
    flags: tuple[str, ...] = field(default=())
    decided_by: str = ""
    """The layer whose decision won (``triage``, ``semantic_crisis``, ``phi``, ...); empty for allow."""

    @property
    def blocks_model(self) -> bool:
        """True when the reply is fixed text and no model may be called."""
        return self.action in ("refuse", "escalate")

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.action,
            "category": self.category,
            "decided_by": self.decided_by or _first_check(self),
            "reasons": list(self.reasons),
            "checks": list(self.checks),
            "redacted": self.redacted,
            "message": self.message,
            "notice": self.notice,
            "entities": [
                {"type": s.entity_type, "start": s.start, "end": s.end, "score": round(s.score, 3)}
                for s in self.spans
            ],
        }


def _first_check(decision: GuardDecision) -> str:
    return decision.checks[0] if decision.checks and decision.action != "allow" else ""


def allow(text: str) -> GuardDecision:
    return GuardDecision(action="allow", redacted=text)


def merge(decisions: Sequence[GuardDecision], redacted: str) -> GuardDecision:
    """The most severe action wins; reasons, checks and spans are kept from all."""
    if not decisions:
        return allow(redacted)
    worst = max(decisions, key=lambda d: SEVERITY[d.action])
    return GuardDecision(
        action=worst.action,
        redacted=redacted,
        reasons=tuple(r for d in decisions for r in d.reasons),
        checks=tuple(c for d in decisions for c in d.checks),
        spans=tuple(s for d in decisions for s in d.spans),
        message=worst.message,
        notice=" ".join(dict.fromkeys(d.notice for d in decisions if d.notice)),
        category=worst.category or next((d.category for d in decisions if d.category), ""),
        flags=tuple(dict.fromkeys(f for d in decisions for f in d.flags)),
        decided_by=worst.decided_by or _first_check(worst),
    )


class Check(Protocol):
    """One guardrail: text in, decision out. Each is small and testable alone."""

    @property
    def name(self) -> str: ...

    def check(self, text: str, context: CheckContext) -> GuardDecision: ...


class OutputCheck(Protocol):
    """One guardrail on an answer: the answer as the output checks before it left it in (PHI
    already redacted), the retrieved passages in ``context.passages``, decision out; its
    ``redacted`` is the answer the next output check sees."""

    @property
    def name(self) -> str: ...

    def check(self, text: str, context: CheckContext) -> GuardDecision: ...
