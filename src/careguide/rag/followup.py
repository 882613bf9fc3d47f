"""Follow-up questions: "what about for children?" borrows its topic from the conversation.

The rewrite is rule-based, not a model call (a call would add seconds to every answer on a CPU):
a message that opens with a follow-up cue ("what about", "and", "how about", ...) or is short and
leans on a pronoun ("is it contagious?") is searched together with the last standalone question.
A message that names its own topic is searched as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

CUES = (
    "what about",
    "how about",
    "and ",
    "also",
    "what if",
    "same for",
    "for ",
    "in ",
    "but ",
    "then ",
    "so ",
    "why ",
)
PRONOUNS = frozenset(
    "it its it's this that these those they them their theirs he she his her one ones there".split()
)
FILLER = frozenset(
    "a an the is are was were be been do does did can could should would will i my me we our you "
    "your what which who whom how when where why about for to of in on at with and or but if so "
    "also any more much many some get got have has had not no yes please tell explain".split()
)
SHORT = 6
"""A message with at most this many topic words that uses a pronoun is a follow-up."""

_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Query:
    """What is searched (``search``) and how the question is put to the model (``prompt``)."""

    question: str
    search: str
    context: str = ""

    @property
    def rewritten(self) -> bool:
        return bool(self.context)


def topic_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in FILLER and w not in PRONOUNS]


def is_follow_up(question: str) -> bool:
    text = question.strip().lower()
    if any(text.startswith(cue) for cue in CUES):
        return True
    words = _WORD.findall(text)
    return len(topic_words(text)) <= SHORT and any(w in PRONOUNS for w in words)


def resolve(question: str, history: Sequence[str]) -> Query:
    """The query for ``question`` given earlier patient messages (oldest first, already redacted).

    The context is the most recent earlier message that stands on its own; a chain of follow-ups
    ("and for adults?" after "what about children?") keeps pointing at the original topic.
    """
    question = question.strip()
    if not history or not is_follow_up(question):
        return Query(question, question)
    for earlier in reversed(history):
        if not is_follow_up(earlier) and topic_words(earlier):
            return Query(question, f"{earlier.strip()} {question}", earlier.strip())
    return Query(question, question)
