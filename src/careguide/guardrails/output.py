"""Output checks that do not trust the model: no personal dose instructions, and no number, dose,
unit or frequency that the retrieved passages do not contain; instructions planted in a passage are
flagged (passages are data). Each is an ``OutputCheck``, run in order by ``check_output``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from careguide.guardrails.policy import passage_injection_found
from careguide.guardrails.types import CheckContext, GuardDecision
from careguide.ingest import split_sentences

_UNITS = (
    r"(?:mg|mcg|µg|g|kg|ml|mL|l|units?|iu|IU|tablets?|pills?|capsules?|puffs?|drops?|teaspoons?|tsp|"
    r"tablespoons?|tbsp)"
)

DOSE_INSTRUCTION_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # An imperative ("Take 2 tablets") or an instruction to the reader ("you should inject 10 units").
        r"(?:^|[:;]\s*|\byou\s+(?:should\s+|can\s+|need\s+to\s+|must\s+|could\s+)?)(?:please\s+)?"
        r"(?:take|give|inject|use|apply|swallow|increase\s+(?:it\s+)?to|decrease\s+(?:it\s+)?to)\s+"
        r"(?:\w+\s+){0,2}\d+(?:\.\d+)?\s*" + _UNITS + r"\b",
        r"\byou\s+should\s+(?:take|stop|start|double|increase|decrease|skip|change)\b",
        r"\b(?:stop|start|double|increase|decrease|skip|change)\s+(?:taking\s+)?your\s+(?:dose|dosage|medicine|"
        r"medication|meds|insulin|pills?|tablets?)\b",
        r"\byour\s+dose\s+(?:is|should\s+be)\s+\d",
    )
)

_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*(?:/\d+)?)(?![\w])")


def numbers_in(text: str) -> set[str]:
    """Numbers as written, thousands separators removed ("1,000" -> "1000")."""
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


@dataclass(frozen=True)
class OutputVerifier:
    """Removes sentences that instruct a personal dose or state a number no passage contains."""

    care_team_message: str
    name: str = "output_verifier"

    @staticmethod
    def _problem(sentence: str, passage_numbers: set[str]) -> str:
        """Why ``sentence`` may not be shown, or ""."""
        if any(p.search(sentence) for p in DOSE_INSTRUCTION_PATTERNS):
            return "removed a personal medication instruction"
        # Citation markers like [2] are not claims.
        unknown = numbers_in(re.sub(r"\[\d+\]", "", sentence)) - passage_numbers
        if unknown:
            return f"removed a sentence with numbers not in the sources: {', '.join(sorted(unknown))}"
        return ""

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        passage_numbers: set[str] = set()
        for passage in context.passages:
            passage_numbers |= numbers_in(passage)
        kept: list[str] = []
        reasons: list[str] = []
        lines: list[str] = []
        for line in text.split("\n"):  # list items and paragraphs keep their lines
            kept_here: list[str] = []
            for sentence in split_sentences(line):
                reason = self._problem(sentence, passage_numbers)
                if reason:
                    reasons.append(reason)
                    continue
                kept_here.append(sentence)
            kept += kept_here
            if kept_here or not line.strip():
                lines.append(" ".join(kept_here))
        if not reasons:
            return GuardDecision(action="allow", redacted=text)
        if not kept:
            return GuardDecision(
                action="refuse",
                redacted="",
                reasons=tuple(reasons),
                checks=(self.name,),
                message=self.care_team_message,
                category="unverified_answer",
            )
        return GuardDecision(
            action="rewrite",
            redacted=re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(),
            reasons=tuple(reasons),
            checks=(self.name,),
            notice=self.care_team_message,
            category="unverified_answer",
        )


@dataclass(frozen=True)
class PassageInjectionCheck:
    """Flags retrieved passages that carry instructions (indirect injection); the answer is kept."""

    name: str = "passage_injection"

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        poisoned = [i for i, p in enumerate(context.passages, start=1) if passage_injection_found(p)]
        if not poisoned:
            return GuardDecision(action="allow", redacted=text)
        return GuardDecision(
            action="allow",
            redacted=text,
            reasons=tuple(f"passage [{i}] contains instructions; treated as data" for i in poisoned),
            checks=(self.name,),
            flags=(self.name,),
        )
