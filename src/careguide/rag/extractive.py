"""The extractive answer: the passage sentences that answer the question asked, no model needed.

A consumer message may ask several things ("what causes shingles and is it contagious?"). Each
part is analysed for its question types (:func:`careguide.rag.understanding.question_types`, plus
the few consumer types MedQuAD has no template for: contagion, diet). Every sentence (or list) of
the retrieved passages is scored for each part by
- answer cues of the part's type in the sentence ("is caused by", "spreads through", "treated with";
  for "what is ...", a sentence whose subject names the topic: "Cirrhosis is scarring of the liver");
- the passage's own question type (a MedQuAD answer to "What causes X ?" answers "causes");
- the share of the part's topic words the sentence and its passage title contain;
- the passage's retrieval rank and the sentence's place in its passage (openings answer most).
A sentence about a narrower topic than the question's focus ("Gestational diabetes is ..." for a
question about diabetes; a passage on "Diabetic Eye Problems"; :mod:`careguide.rag.topicality`)
scores lower. The best sentences of each part are kept (of two near ties, the better-ranked
passage's first), in the passages' words: the answer is supported by construction and every
sentence cites the passage it comes from. Two sentences that say nearly the same thing (often in two
passages) are said once, in the easier one's words. A passage that does not name the
question's topic is never used, so a question the sources cannot answer gets no extract.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from careguide.ingest import split_sentences
from careguide.rag import topicality
from careguide.rag.citations import split_list
from careguide.rag.plain import rewrite, simplify, used_abbreviations
from careguide.rag.retrieval import Passage
from careguide.rag.rewrite_check import verify_rewrite
from careguide.rag.understanding import question_types, split_questions
from careguide.rag.words import content_words, names

__all__ = ["ANSWER_CUES", "Part", "Shown", "Unit", "choose", "question_parts", "render_units", "units_of"]

# What an answering sentence says, per question type. Matched on the lower-cased sentence.
ANSWER_CUES: dict[str, str] = {
    "causes": r"\bcaused\b|\bcaus(?:es|e) (?:of|is|are|include)\b|\bcausing\b|\bdue to\b|"
    r"\bresults? (?:from|of)\b|\btrigger|\bvirus\b|\bbacteri|\bmutation|"
    r"\b(?:happens|occurs|develops) when\b|\brisk factor|\bfrom (?:a|an) (?:virus|infection)\b",
    "symptoms": r"\bsymptom|\bsigns?\b|\bfeel|\bpain|\bache|\bitch|\brash\b|\bfever|\btired|\bswell|"
    r"\bnotice|\bexperience",
    "treatment": r"\btreat|\btherap|\bmedicine|\bmedication|\bdrugs?\b|\bsurgery|\bantivir|\bantibiot|"
    r"\bmanag|\brelie|\bcure|\bprescri|\btransplant|\binhaler|\binsulin",
    "contagion": r"\bcontagious|\bspread|\bpass(?:ed|es)? (?:from|to|on)\b|\bcatch|\btransmit|"
    r"\bdirect contact|\binfect(?:ious|ed)? (?:others|another)|\bcannot be passed",
    "prevention": r"\bprevent|\bavoid|\breduce (?:the |your )?risk|\bvaccin|\blimit|\bprotect|"
    r"\bhealthy|\bexercise|\bquit",
    "diet": r"\bfoods?\b|\beat|\bdiet|\bdrink|\bsugar|\bmeals?\b|\bcarbohydrate|\bfat\b|\bsalt|"
    r"\bfiber|\bvegetable|\bfruit",
    "outlook": r"\boutlook|\bprognos|\brecover|\bgo away|\bclear up|\blife expectancy|\bsurviv|"
    r"\bmost people|\bheal|\bweeks?\b|\bmonths?\b|\bfatal|\blifelong|\bchronic",
    "inheritance": r"\binherit|\bautosomal|\bpassed (?:down|from)|\bfamil|\bparents?\b|\bgenes?\b|\bgenetic",
    "genetic changes": r"\bgenes?\b|\bgenetic|\bmutation|\bchromosom|\bvariant",
    "exams and tests": r"\btest|\bdiagnos|\bexam|\bscan\b|\bx-ray|\bbiopsy|\bblood (?:test|sample)|"
    r"\bultrasound|\bmri\b|\bcheck",
    "frequency": r"\bcommon|\bpercent|%|\baffects? (?:about|an estimated|approximately)|\brare\b|"
    r"\bout of every\b|\bper \d|\bestimated",
    "susceptibility": r"\brisk|\bmore likely|\bolder|\bage\b|\bwomen|\bmen\b|\bhistory of|\banyone",
    "complications": r"\bcomplicat|\blead to|\bcan cause|\bdamage|\bserious|\bproblems?\b",
    "research": r"\bresearch|\bclinical trials?|\bstud(?:y|ies)|\bscientists",
    "information": r"\b(?:is|are) (?:a|an|the)\b|\brefers to\b|\bis a (?:type|kind|form)\b|\bmeans\b",
}
_CUES = {qtype: re.compile(pattern) for qtype, pattern in ANSWER_CUES.items()}
_ACTIVE_CAUSE = re.compile(r"\bcauses?\b")
"""\"A virus causes shingles\" names a cause of the topic when the topic follows the verb; "Colds
rarely cause a fever" is about what something else causes."""

# Consumer types the knowledge base has no template for, asked in these words.
EXTRA_TYPES: dict[str, re.Pattern[str]] = {
    "contagion": re.compile(
        r"contagious|catch(ing)? it|\bspread|pass(ed)? (it )?(on |to )|infect(ious)?|transmit"
    ),
    "diet": re.compile(r"\bfoods?\b|\beat(ing)?\b|\bdiet\b|\bdrinks?\b|\bmeals?\b"),
}

_NAVIGATION = re.compile(
    r"\bclick\b|\bvideo\b|\bkeyboard\b|\bthis (?:page|site|web ?site)\b|\bsee (?:the )?(?:following|below)\b"
    r"|\b(?:see|read|visit) (?:the|our) [a-z ]*(?:page|section|fact sheet)\b|\bfor more information\b"
    r"|\bHuman Phenotype Ontology\b|\bApproximate number of patients\b|\bThis table lists\b"
    r"|\bfor more (?:about|on)\b"
    r"|\bthese resources\b|\bresources (?:from|address)\b"
    r"|\bGenetic Testing Registry\b|\bMedlinePlus Encyclopedia\b"
    r"|\bthe table below\b|\bMedical Dictionary\b|\bestimate of the percentage of patients\b"
    # How a symptom table's frequencies read ("a frequency of 25/25 means ..."): about the table.
    r"|\bfrequenc(?:y|ies)\b[^.]*\b(?:means|based on)\b|\bno percentage is available\b"
    r"|\bthe sign or symptom may be rare or common\b",
    re.I,
)
_BULLET = re.compile(r"(?:^|\s)[-•*]\s+")
_CONNECTIVE = re.compile(
    r"^(?:(?:However|In addition|Also|Therefore|Thus|Moreover|Furthermore|Still),\s+"
    r"|Espa\u00f1?ol\s+(?=[A-Z]))"
)
"""A sentence's link to the one before it means nothing once the sentence stands alone (nor does
the "Español" link a MedlinePlus page glues to its first sentence)."""
MAX_UNIT_WORDS = 80
"""A sentence longer than this (a run-on of a flattened page) is no answer by itself."""


@dataclass(frozen=True)
class Unit:
    """One answering candidate: a sentence, or a list (its lead-in and its items)."""

    n: int  # the passage number ([1] is the first passage)
    position: int  # its place in the passage
    text: str  # the sentence, or the list's lead-in
    items: tuple[str, ...] = ()
    quote: str = ""  # the passage text it came from (what the source panel highlights)
    heading: str = ""  # a heading cut off the sentence ("Medical management - ..."): what it answers

    @property
    def full(self) -> str:
        return " ".join((self.text, *self.items)).strip()


@dataclass(frozen=True)
class Part:
    """One question of a message, with the types it asks and the words naming its topic."""

    question: str
    types: tuple[str, ...]
    topic: frozenset[str]


def _strip_heading(sentence: str) -> str:
    """Drop a heading glued to its first sentence ("Caused By A Virus Shingles is caused by ...")."""
    words = sentence.split()
    run = 0
    small = topicality.SMALL_WORDS
    while run < len(words) and (words[run][:1].isupper() or (run and words[run].lower() in small)):
        if not words[run][-1:].isalnum():
            return sentence
        run += 1
    capitalised = sum(1 for w in words[: run - 1] if w[:1].isupper())
    if run < len(words) and run >= 3 and capitalised >= 2 and words[run][:1].islower():
        return " ".join(words[run - 1 :])
    return sentence


def _dash_heading(head: str, tail: str) -> bool:
    """Is ``head`` a short heading before a dash, with a sentence of its own after it?"""
    words = head.split()
    return (
        0 < len(words) <= 4
        and words[0][:1].isupper()
        and head.strip()[-1:].isalnum()
        and not topicality.SUBJECT_END.search(head)
        and tail.strip()[:1].isupper()
        and len(tail.split()) >= 4
    )


def units_of(passage: Passage, n: int) -> list[Unit]:
    """The sentences and lists of one passage, without questions, navigation text and run-ons."""
    units: list[Unit] = []
    for position, raw in enumerate(split_sentences(passage.chunk.text)):
        if raw.rstrip().endswith("?") or _NAVIGATION.search(raw):
            continue
        pieces = _BULLET.split(raw)
        heading = ""
        lead = _CONNECTIVE.sub("", _strip_heading(pieces[0].strip()))
        lead = lead[:1].upper() + lead[1:]
        items, rest = split_list(pieces[1:]) if len(pieces) > 2 else ([], "")
        if len(pieces) == 2 and _dash_heading(pieces[0], pieces[1]):
            # "Medical management - About half of people ...": a heading and its first sentence.
            lead, items, rest, heading = _CONNECTIVE.sub("", pieces[1].strip()), [], "", pieces[0].strip()
        elif len(pieces) == 2 or (items and len(lead.split()) < 3):
            # One dash, or dashes after "There are": punctuation inside a sentence, not a list.
            lead, items, rest = _CONNECTIVE.sub("", _strip_heading(" ".join(raw.split()))), [], ""
        for text, listed in ((lead, items), (rest, [])):
            if not listed and len(text.split()) > MAX_UNIT_WORDS:
                continue
            if re.search(r"[A-Za-z]{3}", text + " ".join(listed)):
                units.append(Unit(n, position, text, tuple(listed), raw, heading))
    return units


def question_parts(question: str, types: Sequence[str] = ()) -> list[Part]:
    """Each question of the message with its types; ``types`` (the analyser's) fill in a part that
    names none ("and my grandkids?" after "what causes shingles?")."""
    topic_all = topicality.question_topic(question)
    parts: list[Part] = []
    for text in split_questions(question):
        lowered = text.lower()
        found = [t for t in question_types(text) if t != "information"]
        found += [name for name, pattern in EXTRA_TYPES.items() if pattern.search(lowered)]
        if "contagion" in found and "inheritance" in found:
            found.remove("inheritance")  # "pass it to my grandkids" asks about catching it
        if not found:
            found = [t for t in types if t != "information"] or ["information"]
        topic = topicality.question_topic(text) or topic_all
        parts.append(Part(text, tuple(dict.fromkeys(found)), topic or topic_all))
    # "What causes shingles and is it contagious?" is one sentence asking two things: each type a part.
    if len(parts) == 1 and len(parts[0].types) > 1:
        only = parts[0]
        parts = [Part(only.question, (t,), only.topic) for t in only.types]
    return parts


def _on_topic(
    topic: frozenset[str], passage: Passage, question: frozenset[str], names: frozenset[str] = frozenset()
) -> float:
    """How surely the passage is about the question's topic (:func:`topicality.on_topic`)."""
    chunk = passage.chunk
    text = f"{chunk.title} {chunk.topic} {chunk.text}"
    return topicality.on_topic(topic, text, chunk.topic or chunk.title, question, names)


def narrower(unit: Unit, part: Part, passage: Passage, question: frozenset[str]) -> bool:
    """Is the unit about a narrower topic than the question's focus (:func:`topicality.narrower`)?"""
    chunk = passage.chunk
    return topicality.narrower(unit.text, chunk.topic or chunk.title, part.topic, question, topicality.ASKING)


def _score(unit: Unit, part: Part, passage: Passage, rank: int, topical: float) -> float:
    lowered = f"{unit.heading} {unit.full}".lower()
    cue = max((_cue(t, lowered, part.topic) for t in part.types), default=0.0)
    if "information" in part.types and _defines(unit.text, part.topic):
        cue = 1.0
    own_type = passage.chunk.question_type.lower()
    heading = f"{passage.chunk.title} {passage.chunk.section}".lower()
    typed = (
        1.0
        if own_type in part.types
        or any(_CUES[t].search(heading) for t in part.types if t in _CUES and t != "information")
        else 0.0
    )
    words = content_words(unit.full)
    named = (
        len(part.topic & (words | content_words(passage.chunk.title))) / len(part.topic)
        if part.topic
        else 0.0
    )
    early = 1.0 / (1 + unit.position)
    long = max(0, len(unit.full.split()) - LONG_WORDS) / LONG_WORDS  # a long sentence reads hard
    return -0.5 * long + (
        2.0 * cue
        + 1.5 * typed * (0.5 + 0.5 * early)
        + 1.0 * named
        + 0.5 / (1 + rank)
        + 0.3 * early
        + 0.2 * topical
    )


def _cue(qtype: str, lowered: str, topic: frozenset[str]) -> float:
    """1 when the (lower-cased) unit says what a question of ``qtype`` asks (:data:`ANSWER_CUES`)."""
    cue = _CUES.get(qtype)
    if cue is None:
        return 0.0
    if cue.search(lowered):
        return 1.0
    if qtype == "causes":
        verb = _ACTIVE_CAUSE.search(lowered)
        return (
            1.0
            if verb is not None and _stem_set(content_words(lowered[verb.end() :])) & _stem_set(topic)
            else 0.0
        )
    return 0.0


_COPULA = re.compile(r"\b(?:is|are)\b")


def _defines(sentence: str, topic: frozenset[str]) -> bool:
    """Does the sentence say what the topic is: its subject (the words before "is"/"are", within
    six words) names the topic ("Cirrhosis is scarring of the liver")?"""
    head = " ".join(sentence.split()[:7])
    verb = _COPULA.search(head)
    if verb is None or not topic:
        return False
    subject = _stem_set(content_words(head[: verb.start()]))
    return bool(subject) and bool(subject & _stem_set(topic))


def _stem_set(words: frozenset[str] | set[str]) -> set[str]:
    return {w[:5] for w in words}


LONG_WORDS = 18
EASY_GRADE = 8.0
HARD_WEIGHT = 2.0
"""A sentence above grade 8 ranks up to 1.0 lower (at grade 14): of the sentences that answer, the
easier is said first. It only ranks: whether a sentence answers at all (:data:`MIN_SCORE`, and
three quarters of the best answering score) does not depend on its words. Chosen on the consumer
set's tuning part (extractive mode): weights 0.5 / 1.0 gave the same answered-with-a-gold-source
share (0.692) and median grade 9.1 / 8.7 (MedQuAD questions: gold 0.78 both, grade 10.7 / 9.8)."""


def _hard(unit: Unit) -> float:
    """How far above :data:`EASY_GRADE` the unit reads as it would be shown (its verified plain
    rewrite: a long sentence that splits into short ones reads easier than written), 0 to 1
    (lists: their lead-in)."""
    return min(1.0, max(0.0, _shown_grade(unit.text) - EASY_GRADE) / 6)


@lru_cache(maxsize=4096)
def _shown_grade(text: str) -> float:
    shown = rewrite(text, set())
    return grade(" ".join([*shown.sentences, *shown.items]))


MIN_SCORE = 2.5
"""A unit answers a part only with an answer cue or its passage's type, and some topic words."""
MIN_TOPICAL = 0.5
"""Share of a part's topic words its passage must name: an off-topic passage is never quoted."""


def choose(
    question: str,
    passages: Sequence[Passage],
    types: Sequence[str] = (),
    max_words: int = 90,
    per_part: int = 2,
    then_easy: float | None = None,
) -> list[tuple[Part, list[Unit]]]:
    """The answering units of each part of ``question``, best first, within ``max_words`` in all.

    A part that no passage answers gets an empty list; a unit serves one part only. ``then_easy``:
    the highest grade a part's second unit and later may read at as shown (none by default)."""
    parts = question_parts(question, types)
    candidates = [(rank, p, units_of(p, rank + 1)) for rank, p in enumerate(passages)]
    used: set[tuple[int, int, str]] = set()
    said: list[Unit] = []  # what the answer says already: a near-duplicate is said once
    chosen: list[tuple[Part, list[Unit]]] = []
    budget = max_words
    share = max(25, max_words // max(1, len(parts)))
    asked = topicality.question_topic(question)
    kinds = topicality.kinds(question)
    named = topicality.asked_names(names(question))
    asked_words = frozenset(content_words(question))
    for part in parts:
        scored: list[tuple[float, float, Unit]] = []  # (rank score, answering score, unit)
        for rank, passage, units in candidates:
            topical = _on_topic(part.topic, passage, asked, named)
            if topical < MIN_TOPICAL:
                continue
            for u in units:
                if not topicality.same_kind(kinds, u.full):
                    continue
                answers = _score(u, part, passage, rank, topical) - topicality.NARROWER_PENALTY * narrower(
                    u, part, passage, asked_words
                )
                if answers >= MIN_SCORE:
                    scored.append((answers - HARD_WEIGHT * _hard(u), answers, u))
        best = max((answers for _, answers, _ in scored), default=0.0)
        scored = _ranked(scored)
        picked: list[Unit] = []
        words = 0
        for _, score, unit in scored:
            key = (unit.n, unit.position, unit.text)
            if key in used:
                continue
            twin = next((u for u in said if topicality.same_saying(u.full, unit.full)), None)
            if twin is not None:
                # Said already: in this part, the easier of the two stays (in the other's place).
                if twin in picked and score >= 0.75 * best and _easier(unit, twin):
                    picked[picked.index(twin)] = unit
                    said[said.index(twin)] = unit
                    used.add(key)
                    words += len(unit.full.split()) - len(twin.full.split())
                continue
            size = len(unit.full.split())
            if len(picked) >= per_part or (
                picked
                and (
                    words + size > min(share, budget)
                    or score < 0.75 * best
                    or (then_easy is not None and _shown_grade(unit.text) > then_easy)
                )
            ):
                continue  # (a later twin of a picked unit may still take its place)
            picked.append(unit)
            used.add(key)
            said.append(unit)
            words += size
        budget -= words
        picked.sort(key=lambda u: (u.n, u.position))
        chosen.append((part, picked))
    return chosen


RANK_MARGIN = 0.25
"""Units that rank within this of each other are near ties: the better-ranked passage's is said
first (retrieval ranks the passage that answers the question asked first more often than the
sentence scores tell two near ties apart). Chosen on the consumer set's tuning part (0.5 was worse)."""


def _ranked(scored: list[tuple[float, float, Unit]]) -> list[tuple[float, float, Unit]]:
    """Best rank score first; of the units within :data:`RANK_MARGIN` of the best one left, the
    best-ranked passage's (then its better score)."""
    left = sorted(scored, key=lambda su: (-su[0], su[2].n, su[2].position))
    ordered: list[tuple[float, float, Unit]] = []
    while left:
        top = left[0][0]
        pick = min((su for su in left if su[0] >= top - RANK_MARGIN), key=lambda su: (su[2].n, -su[0]))
        left.remove(pick)
        ordered.append(pick)
    return ordered


def grade(text: str) -> float:
    """Flesch-Kincaid grade of one sentence (textstat), the measure the answers are held to."""
    import textstat

    return float(textstat.flesch_kincaid_grade(text))


def _easier(a: Unit, b: Unit) -> bool:
    """Is ``a`` easier to read than ``b`` by a grade or more?"""
    return grade(a.full) <= grade(b.full) - 1.0


@dataclass(frozen=True)
class Shown:
    """One unit as shown: its sentences and list items, and whether the plain rewrite was kept."""

    unit: Unit
    sentences: tuple[str, ...]
    items: tuple[str, ...]
    rewritten: bool


def _plain(unit: Unit, seen: set[str], keep: frozenset[str] = frozenset()) -> Shown:
    """The unit in plain words where the rewrite is verified; as written where it is not.
    ``keep``: abbreviations the answer uses, whose defining brackets stay."""
    trial = set(seen)
    lead = rewrite(unit.text, trial, keep)
    sentences, items = list(lead.sentences), list(lead.items)
    shown_items: list[str] = list(items)
    for item in unit.items:
        simpler, extra = simplify(item, trial, keep)
        candidate = " ".join([*simpler, *extra]).rstrip(".")
        shown_items.append(candidate if verify_rewrite(item, candidate).ok else item)
    seen |= trial
    rewritten = sentences != [unit.text] or bool(items) or tuple(shown_items) != unit.items
    return Shown(unit, tuple(sentences), tuple(i.rstrip(".") for i in shown_items), rewritten)


def render_units(chosen: Sequence[tuple[Part, list[Unit]]], plain: bool = True) -> tuple[str, list[Shown]]:
    """The answer text: one paragraph per answered part, each sentence ending with its citation
    marker (a split sentence in each of its parts), list items on their own lines ("- item")."""
    seen: set[str] = set()
    keep = used_abbreviations([u.full for _, units in chosen for u in units])
    paragraphs: list[str] = []
    shown_all: list[Shown] = []
    for _, units in chosen:
        lines: list[str] = []
        prose: list[str] = []
        for unit in units:
            shown = _plain(unit, seen, keep) if plain else Shown(unit, (unit.text,), unit.items, False)
            shown_all.append(shown)
            said = [s.strip() for s in shown.sentences if s.strip()]
            marked = " ".join(
                _mark(s, unit.n, colon=bool(shown.items) and i == len(said) - 1) for i, s in enumerate(said)
            )
            if shown.items:
                lines += [" ".join([*prose, marked])] + [f"- {i}" for i in shown.items]
                prose = []
            else:
                prose.append(marked)
        if prose:
            lines.append(" ".join(prose))
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs), shown_all


def _mark(body: str, n: int, colon: bool = False) -> str:
    """The citation marker before the sentence's last stop; a list's lead-in ends with a colon."""
    body = body.rstrip()
    if colon:
        return f"{body.rstrip('.:;, ')} [{n}]:"
    if body[-1:] in ".!?:":
        return f"{body[:-1]} [{n}]{body[-1]}"
    return f"{body} [{n}]."
