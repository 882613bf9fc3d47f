"""Emergency layers that read a message piece by piece: symptoms as people write them.

A long post dilutes a whole-message score: one alarming sentence among twenty about history and
worries barely moves the message's embedding. Two layers read the pieces instead:

- ``emergency_sentences``: the emergency classifier (``classifiers.py``) on every sentence and every
  pair of adjacent sentences; the highest probability decides.
- ``emergency_concepts``: every clause is compared (sentence-embedding cosine) with short
  descriptions of red-flag concepts (fever, stiff neck, chest pain, sweating, ...) in
  ``data/red_flags.yaml``; the message escalates on a combination of concepts given there (fever
  with a stiff neck; chest pain with sweating or breathlessness) or on a concept that is an
  emergency alone, at a higher similarity. The combination says why in the reply. The concept
  bank (loading the file, scoring clauses) is ``red_flag_concepts.py``.

Both layers share one embedding call per message for all its pieces (``MessagePieces``); in the
registry that call is the one that also embeds the whole message and the harm head's sentences.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from careguide.guardrails.classifiers import MODEL_FILES, ClassifierCheck, LinearModel
from careguide.guardrails.red_flag_concepts import Combination, RedFlags
from careguide.guardrails.semantic import ExemplarBank, general_question, unit_vectors
from careguide.guardrails.settings import GuardrailsPolicy
from careguide.guardrails.types import Check, CheckContext, GuardDecision, allow
from careguide.ingest import Embedder

# A sentence ends at . ! ? followed by a space or a capital, or at a line break; "Dr. Lee" and
# "38.5" stay whole (no break inside a number, none after a short title).
_SENTENCE_END = re.compile(
    r"(?<!\b[DdMm]r\.)(?<!\b[Mm]rs\.)(?<!\b[MmSs][st]\.)(?<!\bvs\.)(?<=[.!?])\s+(?=\S)"
    r"|(?<=[a-z][.!?])(?=[A-Z][a-z])|\s*\n+\s*"
)
# Within a sentence, clauses end at these marks and before these joining words.
_CLAUSE_MARK = re.compile(r"\s*[,;:()]\s*|\s+-+\s+")
_JOINING = re.compile(
    r"\s+(?=(?:and|but|with|while|plus|also|then|though|although|because|since|after|along with|"
    r"as well as|accompanied by|associated with|followed by)\s)",
    re.IGNORECASE,
)
_LEADING_JOIN = re.compile(
    r"^(?:and|but|with|while|plus|also|then|though|although|because|since|along with|as well as|"
    r"accompanied by|associated with|followed by)\s+",
    re.IGNORECASE,
)
# A clause that says a symptom is absent ("no fever", "denies chest pain", "without vomiting").
_NEGATED = re.compile(
    r"^(?:(?:there\s+(?:is|was|are|were)\s+|he\s+|she\s+|they\s+|i\s+|patient\s+)?"
    r"(?:(?:is|are|was|were|has|have|had|does|did|do)\s+)?"
    r"(?:no|not|never|denies|denied|deny|without|negative\s+for|nor|absence\s+of|free\s+of)\b)"
    r"|\b(?:denies|denied|no\s+history\s+of|ruled\s+out)\b",
    re.IGNORECASE,
)
# Who and a linking verb at the start of a clause ("my dad is", "I've been", "she has"): the
# concepts are described without them, and the symptom reads closer to them alone.
_SUBJECT = re.compile(
    r"^(?:(?:today|tonight|now|then|yesterday|this\s+morning|last\s+night|and|but|so)\s+)*"
    r"(?:(?:i|he|she|they|we|it|you|(?:my|his|her|their|our|the|this|a)\s+(?:\w+\s+){0,3}"
    r"(?:old|baby|son|daughter|child|kid|toddler|boy|girl|dad|father|mom|mum|mother|husband|wife|partner|"
    r"friend|grandma|grandmother|grandpa|grandfather|brother|sister|patient|man|woman|"
    r"infant|newborn|teen|teenager))"
    r"(?:'s|'m|'re|'ve|'d)?\s+)"
    r"(?:(?:has|have|had|is|are|am|was|were|been|being|keeps?|kept|feels?|felt|reports?|reported|"
    r"complains?\s+of|complained\s+of|presents?\s+with|presented\s+with|developed|started|suddenly|"
    r"now|also|just|still|really|got|gets|can|could|just)\s+)*",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:(?:there\s+(?:is|are|was|were)|a|an|the|some)\s+)+", re.IGNORECASE)
# How long or since when ("for 40 minutes", "since lunchtime", "for the last half hour"): it says
# nothing about which symptom, and dilutes a short clause's embedding.
_DURATION = re.compile(
    r"\s*\b(?:for|since|over|in)\s+(?:the\s+)?(?:last\s+|past\s+|next\s+)?(?:about\s+|around\s+|almost\s+)?"
    r"(?:a|an|one|two|three|few|several|couple\s+of|half(?:\s+an?)?|\d+(?:\.\d+)?)?\s*"
    r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|morning|afternoon|evening|night|"
    r"lunchtime|yesterday|today|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\s*\b(?:about\s+|around\s+|almost\s+)?(?:a|an|one|two|three|few|several|couple\s+of|\d+)\s+"
    r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b",
    re.IGNORECASE,
)
MAX_SENTENCES = 40
MAX_CLAUSES = 80


def _clean(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).strip(" .!?,;:-")


def sentences(text: str, questions: bool = True) -> list[str]:
    """The message's sentences, in order (empty pieces dropped; at most ``MAX_SENTENCES``);
    ``questions=False`` leaves out those that end with a question mark."""
    raw = [p for p in _SENTENCE_END.split(text) if _clean(p)][:MAX_SENTENCES]
    return [_clean(p) for p in raw if questions or not p.rstrip().endswith("?")]


def _says_something(sentence: str) -> bool:
    """A sentence the per-sentence classifier may read: not a question (out of the classifier's
    training on descriptions), not one that only denies a symptom ("No fever"), and long enough to
    describe one."""
    return len(sentence.split()) >= 3 and not _NEGATED.search(sentence)


def windows(parts: Sequence[str]) -> list[str]:
    """Every sentence and every pair of adjacent sentences (what the sentence layer scores)."""
    pairs = [f"{a}. {b}" for a, b in itertools.pairwise(parts)]
    return list(dict.fromkeys([*parts, *pairs]))


def clauses(text: str) -> list[str]:
    """Short clauses that each say one thing ("fever since Tuesday", "her neck is stiff"), and the
    comma-level segments they come from, so a description split at "and" is also seen whole
    ("sudden and severe belly pain"). Clauses that say a symptom is absent are left out."""
    found: list[str] = []
    for sentence in sentences(text):
        for segment in _CLAUSE_MARK.split(sentence):
            segment = _clean(_LEADING_JOIN.sub("", _clean(segment)))
            if not segment:
                continue
            split = [_clean(_LEADING_JOIN.sub("", p.strip())) for p in _JOINING.split(segment)]
            parts = [p for p in split if p and not _NEGATED.search(p)]
            # The whole segment is read only when no part of it says a symptom is absent.
            whole = [segment] if not _NEGATED.search(segment) and len(parts) == len(split) else []
            # Adjacent parts together too: "and" also joins the nouns of one symptom ("her lips and
            # tongue are swelling").
            joined = [f"{a} and {b}" for a, b in itertools.pairwise(parts)] if len(parts) > 2 else []
            for piece in [*whole, *parts, *joined] if len(parts) > 1 or not whole else whole:
                bare = _ARTICLE.sub("", _SUBJECT.sub("", _clean(_DURATION.sub("", piece))))
                found.append(_clean(bare) or piece)
    return list(dict.fromkeys(found))[:MAX_CLAUSES]


@dataclass(frozen=True)
class Pieces:
    """A message's sentence windows and clauses, with one unit vector per distinct piece."""

    windows: list[str]
    clauses: list[str]
    vectors: dict[str, np.ndarray]

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self.vectors[t] for t in texts])


class MessagePieces:
    """Splits a message and embeds all its pieces in one call; remembers the last message, so the
    layers that read pieces embed a message once between them. ``texts`` names the pieces, so the
    registry's embedder can embed them with the whole message and the harm head's sentences in one
    batched call (``LastMessageEmbedder.add_pieces``)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._last: tuple[str, Pieces] | None = None
        self._split: tuple[str, tuple[list[str], list[str], list[str]]] | None = None

    def split(self, text: str) -> tuple[list[str], list[str], list[str]]:
        """(sentence windows, clauses, every distinct piece) of ``text``."""
        last = self._split  # read once: another thread may replace it between a check and a read
        if last is not None and last[0] == text:
            return last[1]
        statements = [p for p in sentences(text, questions=False) if _says_something(p)]
        found_windows = windows(statements) if len(statements) > 1 else []
        found_clauses = clauses(text)
        found = (found_windows, found_clauses, list(dict.fromkeys([*found_windows, *found_clauses])))
        self._split = (text, found)
        return found

    def texts(self, text: str) -> list[str]:
        """Every distinct piece the layers of this module embed for ``text``."""
        return self.split(text)[2]

    def __call__(self, text: str) -> Pieces:
        last = self._last  # read once: another thread may replace it between a check and a read
        if last is not None and last[0] == text:
            return last[1]
        found_windows, found_clauses, distinct = self.split(text)
        vectors = (
            unit_vectors(np.asarray(self.embedder.embed(distinct)))
            if distinct
            else np.zeros((0, 1), dtype=np.float32)
        )
        pieces = Pieces(found_windows, found_clauses, dict(zip(distinct, vectors, strict=True)))
        self._last = (text, pieces)
        return pieces


@dataclass(frozen=True)
class SentenceClassifierCheck:
    """The emergency classifier on each sentence and each adjacent pair: the highest decides.

    A message with one statement (and perhaps questions) is left to the whole-message classifier
    (``emergency_model``)."""

    model: LinearModel
    threshold: float
    reply: Callable[[str], str]
    bank: ExemplarBank
    pieces: MessagePieces
    name: str = "emergency_sentences"
    default_category: str = "symptoms"

    def pieces_of(self, text: str) -> list[str]:
        return self.pieces.texts(text)

    def best(self, text: str) -> tuple[float, str]:
        """(highest probability, the window that has it); (0, "") for a single sentence."""
        pieces = self.pieces(text)
        if not pieces.windows:
            return 0.0, ""
        probabilities = self.model.probability(pieces.matrix(pieces.windows))
        index = int(np.argmax(probabilities))
        return float(probabilities[index]), pieces.windows[index]

    @cached_property
    def classifier(self) -> ClassifierCheck:
        """The whole-message layer's decision rule, applied to the window that scores highest."""
        return ClassifierCheck(
            self.name,
            "emergency",
            self.model,
            self.threshold,
            "escalate",
            self.reply,
            self.bank,
            category_prefix="emergency.",
            default_category=self.default_category,
            skip_general_questions=True,
        )

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        if general_question(text):
            return allow(text)
        probability, window = self.best(text)
        return self.classifier.decide(
            text, probability, lambda: self.pieces(text).vectors[window], " on one part of the message"
        )


@dataclass(frozen=True)
class ConceptCheck:
    """Escalates a message whose clauses carry a red-flag combination, saying why."""

    flags: RedFlags
    pieces: MessagePieces
    together: float
    """Similarity each concept of a combination must reach."""
    alone: float
    """Similarity a concept that is an emergency alone must reach."""
    reply: Callable[[Combination], str]
    name: str = "emergency_concepts"

    def pieces_of(self, text: str) -> list[str]:
        return self.pieces.texts(text)

    def matches(self, text: str) -> list[tuple[Combination, list[tuple[str, float, int]]]]:
        pieces = self.pieces(text)
        scores = self.flags.scores(pieces.matrix(pieces.clauses), pieces.clauses)
        return self.flags.matches(scores, self.together, self.alone)

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        if general_question(text):
            return allow(text)
        found = self.matches(text)
        if not found:
            return allow(text)
        first = found[0][0]
        return GuardDecision(
            action="escalate",
            redacted=text,
            reasons=tuple(
                f"{self.name}: {combo.name.replace('_', ' ')} ("
                + ", ".join(f"{concept.replace('_', ' ')} {score:.2f}" for concept, score, _ in met)
                + ")"
                for combo, met in found
            ),
            checks=(self.name,),
            message=self.reply(first),
            category=f"emergency.{first.category}",
        )


def piece_layers(policy: GuardrailsPolicy, embedder: Embedder | None) -> list[tuple[bool, Check]]:
    """The configured layers of this module, sharing one embedding call per message."""
    enabled, layers = policy.checks, policy.semantic
    if embedder is None or not (enabled.emergency_sentences or enabled.emergency_concepts):
        return []
    pieces = MessagePieces(embedder)
    found: list[tuple[bool, Check]] = []
    if enabled.emergency_sentences:
        found.append(
            (
                True,
                SentenceClassifierCheck(
                    LinearModel.load(MODEL_FILES["emergency"]),
                    layers.emergency_sentences.threshold,
                    policy.emergency_message,
                    ExemplarBank.load(embedder),
                    pieces,
                ),
            )
        )
    if enabled.emergency_concepts:

        def reply(combination: Combination) -> str:
            if combination.message != "emergency":
                return policy.message(combination.message)
            return f"{combination.reason} {policy.message('emergency')}".strip()

        concepts = layers.emergency_concepts
        found.append(
            (
                True,
                ConceptCheck(
                    RedFlags.load(embedder=embedder), pieces, concepts.together, concepts.alone, reply
                ),
            )
        )
    return found
