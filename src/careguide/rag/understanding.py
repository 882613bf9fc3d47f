"""Question understanding for consumer messages: focus, question type, sub-questions, a rewrite.

Patients write long messages with a subject line, misspelt disease and drug names, personal
context and several questions at once. This module turns such a message into what a trusted FAQ
is indexed by: the *focus* (a condition, drug or test, matched against the knowledge base's own
focus terms, tolerant of spelling variants) and the *question types* (MedQuAD's qtypes), and
writes a short search query in the FAQ's own style ("What are the treatments for X ?").
Everything is deterministic and needs no language model.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_MAX_SPAN = 6
_MIN_FUZZY_CHARS = 6
FUZZY_THRESHOLD = 0.84
"""Similarity (difflib ratio) a misspelt span needs to count as a focus term."""

# Cue words of MedQuAD's question types, most specific first. A message may ask several.
TYPE_CUES: dict[str, tuple[str, ...]] = {
    "inheritance": (
        r"inherit",
        r"hereditar",
        r"pass(ed|ing)? (it |this |on |down )",
        r"run(s)? in (the |my )?famil",
        r"(my |our |the )?(kids|children|offspring|baby|babies) (get|have|inherit)",
        r"genetic(ally)? passed",
    ),
    "genetic changes": (
        r"\bgenes?\b",
        r"mutation",
        r"chromosom",
        r"\bdna\b",
        r"genetic (cause|change|defect)",
    ),
    "symptoms": (r"symptom", r"\bsigns?\b", r"what does .* feel", r"\bfeel(s|ing)? like\b", r"warning sign"),
    "treatment": (
        r"treat",
        r"\bcure",
        r"therap",
        r"medicat",
        r"medicine",
        r"\bdrugs? for\b",
        r"surger",
        r"get rid",
        r"remed",
        r"manag",
        r"\bhelp (with|for)\b",
        r"what (can|should) (i|we) do",
        r"\btake for\b",
        r"\brelie",
        r"\bheal",
    ),
    "causes": (
        r"\bcaus",
        r"\bwhy (do|does|did|am|is|are)\b",
        r"\breason",
        r"trigger",
        r"how (do|did) (i|you|people) get",
    ),
    "exams and tests": (
        r"\btest",
        r"diagnos",
        r"screen",
        r"\bdetect",
        r"check (for|if)",
        r"\bscan\b",
        r"\bexam",
    ),
    "prevention": (r"prevent", r"\bavoid", r"vaccin", r"reduce (the |my )?risk", r"protect"),
    "outlook": (
        r"prognos",
        r"life expectancy",
        r"outlook",
        r"surviv",
        r"how long",
        r"\bfatal\b",
        r"\bdie\b",
        r"go away",
    ),
    "frequency": (r"how (common|many|rare)", r"prevalen", r"\bis it rare\b"),
    "susceptibility": (r"who (gets|is at risk|can get)", r"at risk", r"risk factor", r"likely to get"),
    "complications": (r"complicat", r"side effect", r"long.term effect"),
    "research": (r"research", r"clinical trial", r"\bstud(y|ies)\b", r"new (treatment|drug)s?"),
    "information": (
        r"what (is|are)\b",
        r"information",
        r"\binfo\b",
        r"learn (more )?about",
        r"tell me about",
        r"explain",
    ),
}
_TYPE_PATTERNS = {qtype: re.compile("|".join(cues)) for qtype, cues in TYPE_CUES.items()}

# The knowledge base's own question templates (MedQuAD), used to write the search query.
TEMPLATES: dict[str, str] = {
    "information": "What is (are) {focus} ?",
    "symptoms": "What are the symptoms of {focus} ?",
    "treatment": "What are the treatments for {focus} ?",
    "causes": "What causes {focus} ?",
    "inheritance": "Is {focus} inherited ?",
    "genetic changes": "What are the genetic changes related to {focus} ?",
    "exams and tests": "How to diagnose {focus} ?",
    "prevention": "How to prevent {focus} ?",
    "outlook": "What is the outlook for {focus} ?",
    "frequency": "How many people are affected by {focus} ?",
    "susceptibility": "Who is at risk for {focus} ?",
    "complications": "What are the complications of {focus} ?",
    "research": "What research (or clinical trials) is being done for {focus} ?",
}

# Words that never start or end a focus by themselves (kept inside multi-word terms).
_STOP = frozenset(
    "a an the and or of to in on for with my i me we you he she it is are was be have has had "
    "do does did can could would should will what how why when who which this that there their "
    "about please thank thanks hi hello dear any some more information info help know need want "
    "am get got from your our his her they them its not no yes also just like very much so if "
    "as at by up out".split()
)


def normalise(text: str) -> str:
    """Lower-case words only; apostrophes kept inside words ("parkinson's")."""
    return " ".join(_WORD.findall(text.lower().replace("’", "'")))


def _grams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


@dataclass(frozen=True)
class FocusMatch:
    """A knowledge-base focus term found in the message."""

    term: str  # the normalised knowledge-base term
    topics: tuple[str, ...]  # the knowledge base's focus strings it stands for
    score: float  # 1.0 for an exact match, the similarity for a spelling variant
    start: int  # token position in the message


class FocusLexicon:
    """The knowledge base's focus terms with an index of character trigrams for spelling variants."""

    def __init__(self, topics: Iterable[str], known_words: Iterable[str] = ()) -> None:
        """``known_words``: correctly spelt words (e.g. those of the knowledge base's questions);
        a span made only of them and of the terms' own words is not searched for variants."""
        self.terms: dict[str, set[str]] = defaultdict(set)
        for topic in topics:
            for variant in self._variants(topic):
                if variant and variant not in _STOP:
                    self.terms[variant].add(topic)
        self.max_words = min(_MAX_SPAN, max((len(t.split()) for t in self.terms), default=1))
        self.known = {w for term in self.terms for w in term.split()} | set(known_words)
        # A sparse term x trigram matrix: one product scores every term against a span.
        from scipy.sparse import csr_matrix

        self._fuzzy_terms = sorted(t for t in self.terms if len(t) >= _MIN_FUZZY_CHARS)
        self._gram_ids: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for row, term in enumerate(self._fuzzy_terms):
            for gram in _grams(term):
                rows.append(row)
                cols.append(self._gram_ids.setdefault(gram, len(self._gram_ids)))
        shape = (len(self._fuzzy_terms), max(1, len(self._gram_ids)))
        self._matrix = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
        self._sizes = np.asarray(self._matrix.sum(axis=1)).ravel()
        self._by_gram = self._matrix.T.tocsr()  # rows are trigrams: row slices are cheap
        self._cache: dict[str, tuple[str, float] | None] = {}

    @staticmethod
    def _variants(topic: str) -> set[str]:
        """The term, without its parenthesis, the parenthesis alone (often an abbreviation or
        another name), and with "'s" dropped ("Parkinson's disease" ~ "parkinson disease")."""
        full = normalise(topic)
        outside = normalise(re.sub(r"\([^)]*\)", " ", topic))
        inside = [normalise(p) for p in re.findall(r"\(([^)]*)\)", topic)]
        found = {full, outside, *(p for p in inside if len(p) > 2)}
        return found | {v.replace("'s", "") for v in found}

    def __len__(self) -> int:
        return len(self.terms)

    def _fuzzy(self, span: str) -> tuple[str, float] | None:
        if span in self._cache:
            return self._cache[span]
        ids = [self._gram_ids[g] for g in _grams(span) if g in self._gram_ids]
        best: tuple[str, float] | None = None
        if ids and self._fuzzy_terms:
            shared = np.asarray(self._by_gram[ids].sum(axis=0)).ravel()
            dice = 2 * shared / (len(_grams(span)) + self._sizes)
            # Only the few terms sharing most trigrams get the (slower) edit-based ratio.
            top = np.argpartition(-dice, min(5, len(dice) - 1))[:5]
            for row in top[np.argsort(-dice[top])]:
                if dice[row] < 0.45:
                    break
                term = self._fuzzy_terms[row]
                ratio = SequenceMatcher(None, span, term).ratio()
                if ratio >= FUZZY_THRESHOLD and (best is None or ratio > best[1]):
                    best = (term, ratio)
        if len(self._cache) < 50_000:
            self._cache[span] = best
        return best

    def find(self, text: str, limit: int = 3) -> list[FocusMatch]:
        """The best non-overlapping focus terms of a message, longest and surest first."""
        words = normalise(text).split()
        found: list[tuple[float, int, int, str]] = []
        for start in range(len(words)):
            if words[start] in _STOP:
                continue
            for size in range(min(self.max_words, len(words) - start), 0, -1):
                if words[start + size - 1] in _STOP:
                    continue
                span = " ".join(words[start : start + size])
                if span in self.terms:
                    found.append((1.0, start, size, span))
                    continue
                unknown = any(w not in self.known for w in words[start : start + size])
                if unknown and size <= 3 and len(span) >= _MIN_FUZZY_CHARS and (size > 1 or len(span) >= 7):
                    hit = self._fuzzy(span)
                    if hit is not None:
                        found.append((hit[1], start, size, hit[0]))
        # Prefer longer terms (a name over its last word), then surer ones, then earlier ones.
        found.sort(key=lambda f: (-f[2] * f[0], -f[0], f[1]))
        taken: set[int] = set()
        chosen: list[FocusMatch] = []
        for score, start, size, term in found:
            cover = set(range(start, start + size))
            if cover & taken or any(term == m.term for m in chosen):
                continue
            taken |= cover
            chosen.append(FocusMatch(term, tuple(sorted(self.terms[term])), round(score, 3), start))
        chosen.sort(key=lambda m: (-len(m.term.split()) * m.score, m.start))
        return chosen[:limit]


def split_questions(text: str) -> list[str]:
    """The questions of a message: sentences that end in "?" or start like a question.

    A message with no recognisable question is one question (the whole text)."""
    sentences = [s.strip() for s in re.split(r"(?<=[?.!])\s+|\n+", text) if s.strip()]
    starts = re.compile(
        r"^(what|how|why|when|where|who|which|is|are|can|could|do|does|did|should|will|would|"
        r"have|has|any|please)\b",
        re.IGNORECASE,
    )
    questions = [s for s in sentences if s.endswith("?") or starts.match(s)]
    return questions or [text.strip()]


def question_types(text: str) -> list[str]:
    """MedQuAD question types asked in the text, in order of first mention; "information" if none."""
    lowered = normalise(text)
    hits: list[tuple[int, str]] = []
    for qtype, pattern in _TYPE_PATTERNS.items():
        match = pattern.search(lowered)
        if match:
            hits.append((match.start(), qtype))
    types = [qtype for _, qtype in sorted(hits)]
    if len(types) > 1 and "information" in types:
        types.remove("information")  # "what is the treatment" asks for treatment
    return types or ["information"]


@dataclass(frozen=True)
class QueryAnalysis:
    """What the retriever uses from a message."""

    text: str
    questions: tuple[str, ...]
    focus: tuple[FocusMatch, ...]
    types: tuple[str, ...]
    rewrites: tuple[str, ...] = field(default=())

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(t for match in self.focus for t in match.topics)

    def to_json(self) -> dict[str, object]:
        return {
            "focus": [m.term for m in self.focus],
            "types": list(self.types),
            "questions": list(self.questions),
            "rewrites": list(self.rewrites),
        }


class QuestionAnalyzer:
    """Focus + type + sub-questions + FAQ-style rewrites for one message."""

    def __init__(self, lexicon: FocusLexicon, max_rewrites: int = 3) -> None:
        self.lexicon = lexicon
        self.max_rewrites = max_rewrites

    def analyse(self, text: str) -> QueryAnalysis:
        questions = split_questions(text)
        focus = self.lexicon.find(text)
        types: list[str] = []
        for question in questions:
            for qtype in question_types(question):
                if qtype not in types:
                    types.append(qtype)
        if types == ["information"]:
            types = question_types(text)  # the ask may sit in a statement ("I am looking for a cure")
        if len(types) > 1 and "information" in types:
            types.remove("information")
        rewrites: list[str] = []
        if focus:
            # The focus named first (a subject line) or most surely; several foci get one each.
            for match in focus[:2]:
                name = match.topics[0] if len(match.topics) == 1 else match.term
                for qtype in types:
                    rewrites.append(TEMPLATES.get(qtype, TEMPLATES["information"]).format(focus=name))
        return QueryAnalysis(
            text, tuple(questions), tuple(focus), tuple(types), tuple(rewrites[: self.max_rewrites])
        )
