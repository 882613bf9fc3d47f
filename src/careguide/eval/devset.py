"""The retrieval dev set: a seeded sample of MedQuAD's answered questions, plus consumer-style variants.

MedQuAD's questions are templates ("What are the symptoms of X ?") and near the ceiling for any
retriever, so each sampled question also gets variants a patient would type: lower-cased without
punctuation, with typos, and in a personal voice ("my mom has X, what is it?").
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from careguide.ingest import read_pairs


@dataclass(frozen=True)
class DevQuestion:
    question: str
    answer_id: str
    focus: str
    question_type: str
    variant: str = "template"


def medquad_files(medquad_dir: Path, subsets: Iterable[str]) -> Iterator[Path]:
    """The XML files of the given subsets, in order; a missing subset is a clear error."""
    for subset in subsets:
        folder = medquad_dir / subset
        if not folder.is_dir():
            raise FileNotFoundError(
                f"MedQuAD subset {folder} is missing; set data_dir to the folder holding medquad/ "
                f"(source: github.com/abachaa/MedQuAD, CC BY 4.0)."
            )
        yield from sorted(folder.glob("*.xml"))


def answered_pairs(medquad_dir: Path, subsets: Iterable[str]) -> list[DevQuestion]:
    """Every answered MedQuAD question of the given subsets, one per answer id, sorted by id."""
    found: dict[str, DevQuestion] = {}
    for path in medquad_files(medquad_dir, subsets):
        for pair in read_pairs(path):
            if pair.answer and pair.question and pair.answer_id not in found:
                found[pair.answer_id] = DevQuestion(
                    pair.question, pair.answer_id, pair.focus, pair.question_type
                )
    return [found[key] for key in sorted(found)]


def sample_dev_set(pairs: list[DevQuestion], size: int, seed: int) -> list[DevQuestion]:
    """A fixed, seeded sample (the same for the same pairs, size and seed)."""
    return random.Random(seed).sample(pairs, min(size, len(pairs)))


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s'-]", " ", text.lower()).split())


def lowercase_variant(item: DevQuestion, rng: random.Random) -> str:
    return _plain(item.question.replace("(are)", "")).replace("what is are", "what is")


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 2)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def typo_variant(item: DevQuestion, rng: random.Random) -> str:
    """One or two typos in the longer words (the disease name is usually among them)."""
    words = lowercase_variant(item, rng).split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    for index in rng.sample(long_words, min(len(long_words), rng.choice((1, 2)))):
        words[index] = _typo(words[index], rng)
    return " ".join(words)


_PEOPLE = ("my mom", "my dad", "my son", "my daughter", "my husband", "my wife", "my friend", "i")
_CONSUMER_TEMPLATES: dict[str, tuple[str, ...]] = {
    "information": (
        "{who} {has} {focus}, what is it?",
        "can you explain {focus} to me? {who} {has} it",
    ),
    "symptoms": (
        "what signs of {focus} should i watch for? {who} {has} it",
        "how do i know if {who} {has} {focus}",
    ),
    "treatment": ("{who} {has} {focus}. how is it treated?", "what can be done for {focus}"),
    "causes": ("why does someone get {focus}? {who} {has} it", "what causes {focus}"),
    "inheritance": (
        "{who} {has} {focus}, will our kids get it too?",
        "is {focus} passed down in families",
    ),
    "genetic changes": (
        "what gene problem causes {focus}",
        "is {focus} caused by genes? {who} {has} it",
    ),
    "frequency": ("how common is {focus}", "{who} {has} {focus}, is it rare?"),
    "outlook": (
        "{who} {has} {focus}. what happens next, will they get better?",
        "what is the outlook for {focus}",
    ),
    "prevention": ("how can i avoid getting {focus}", "is there a way to prevent {focus}"),
    "exams and tests": ("how do doctors check for {focus}", "what test shows {focus}"),
    "susceptibility": ("who is likely to get {focus}", "am i at risk of {focus}"),
}
_GENERIC = (
    "{who} {has} {focus} and i want to know more about {qtype}",
    "tell me about {focus} {qtype}",
)


def consumer_variant(item: DevQuestion, rng: random.Random) -> str:
    """The question as a patient or carer might type it, built from its focus and type."""
    who = rng.choice(_PEOPLE)
    has = "have" if who == "i" else "has"
    focus = _plain(item.focus) or lowercase_variant(item, rng)
    templates = _CONSUMER_TEMPLATES.get(item.question_type, _GENERIC)
    return rng.choice(templates).format(who=who, has=has, focus=focus, qtype=item.question_type)


VARIANTS: dict[str, Callable[[DevQuestion, random.Random], str]] = {
    "lowercase": lowercase_variant,
    "typos": typo_variant,
    "consumer": consumer_variant,
}


def with_variants(items: list[DevQuestion], seed: int) -> dict[str, list[DevQuestion]]:
    """The template questions and each variant family, seeded per family."""
    families = {"template": items}
    for name, make in VARIANTS.items():
        rng = random.Random(f"{seed}-{name}")
        families[name] = [
            DevQuestion(make(item, rng), item.answer_id, item.focus, item.question_type, name)
            for item in items
        ]
    return families


# --- Consumer questions (MEDIQA 2019 Task 3) mapped to the knowledge base -------------------------

MEDIQA_QA_FILES = (
    "MEDIQA2019-Task3-QA-TestSet-wLabels.xml",
    "MEDIQA2019-Task3-QA-TrainingSet2-Alexa.xml",
    "MEDIQA2019-Task3-QA-ValidationSet.xml",
)
GOOD_SCORE = 3  # MEDIQA's ReferenceScore: 3 = correct but incomplete, 4 = correct and complete
CONSUMER_SPLIT_SEED = 15
REPORT_SHARE = 0.5
"""The committed split: questions sorted by id, shuffled with this seed; the first half tunes."""


@dataclass(frozen=True)
class ConsumerQuestion:
    """A real consumer question with the knowledge-base answers and documents judged good."""

    qid: str  # file tag + MEDIQA QID, e.g. "test-12"
    question: str
    gold_answers: frozenset[str]  # MedQuAD answer ids whose text matches a good answer
    gold_urls: frozenset[str]  # normalised URLs of good answers that are knowledge-base documents
    part: str = ""  # "tune" or "report"


def normalise_url(url: str) -> str:
    """Scheme, ``www.``, trailing slash and case removed; MedlinePlus's old path mapped to its host."""
    url = url.strip().lower()
    url = re.sub(r"^[a-z]+://", "", url)
    url = re.sub(r"^www\.", "", url).rstrip("/")
    return re.sub(r"^nlm\.nih\.gov/medlineplus/", "medlineplus.gov/", url)


def _text_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())[:160]


def _judged_answer_text(text: str) -> str:
    """MEDIQA answers start with a heading ("What is Flu?: ...", "acromegaly: ...")."""
    head, sep, rest = text.partition(": ")
    return rest if sep and len(head) < 200 else text


def load_consumer_set(mediqa_dir: Path, medquad_dir: Path, subsets: Iterable[str]) -> list[ConsumerQuestion]:
    """MEDIQA 2019 Task 3 questions with a good answer that is in the knowledge base, split."""
    import xml.etree.ElementTree as ET

    folder = mediqa_dir / "MEDIQA_Task3_QA"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"MEDIQA 2019 was not found at {folder}; set data_dir to the folder holding mediqa2019/."
        )
    by_text: dict[str, set[str]] = {}
    urls: set[str] = set()
    for path in medquad_files(medquad_dir, subsets):
        for pair in read_pairs(path):
            if pair.answer:
                by_text.setdefault(_text_key(pair.answer), set()).add(pair.answer_id)
                urls.add(normalise_url(pair.url))
    found: list[ConsumerQuestion] = []
    for name in MEDIQA_QA_FILES:
        tag = name.split("-")[3].removesuffix(".xml").lower().replace("set", "")
        root = ET.parse(folder / name).getroot()
        for question in root.iter("Question"):
            answers: set[str] = set()
            gold_urls: set[str] = set()
            for answer in question.iter("Answer"):
                if int(answer.get("ReferenceScore", "0")) < GOOD_SCORE:
                    continue
                url = normalise_url(answer.findtext("AnswerURL") or "")
                if url in urls:
                    gold_urls.add(url)
                text = _text_key(_judged_answer_text(answer.findtext("AnswerText") or ""))
                answers |= by_text.get(text, set()) if len(text) >= 40 else set()
            if answers or gold_urls:
                text = " ".join((question.findtext("QuestionText") or "").split())
                qid = f"{tag}-{question.get('QID')}"
                found.append(ConsumerQuestion(qid, text, frozenset(answers), frozenset(gold_urls)))
    return split_consumer_set(found)


def split_consumer_set(items: list[ConsumerQuestion]) -> list[ConsumerQuestion]:
    """Assign each question to "tune" or "report" by the committed seeded rule."""
    order = sorted(items, key=lambda item: item.qid)
    random.Random(CONSUMER_SPLIT_SEED).shuffle(order)
    cut = round(len(order) * (1 - REPORT_SHARE))
    part = {item.qid: ("tune" if index < cut else "report") for index, item in enumerate(order)}
    return [ConsumerQuestion(i.qid, i.question, i.gold_answers, i.gold_urls, part[i.qid]) for i in items]
