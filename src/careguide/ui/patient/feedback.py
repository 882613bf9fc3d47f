"""Patients' ratings of answers: where they go and what is stored.

The chat only knows :class:`FeedbackSink`; the review database (``careguide.review.ReviewStore``)
implements it, so clinicians see negative ratings in their review queue. A comment is free text
and may hold a name or a phone number: it is redacted before it is stored.
"""

from __future__ import annotations

from typing import Protocol

from careguide.config import Settings
from careguide.guardrails import Guardrails

MAX_COMMENT_CHARS = 2000
RATINGS = {"up": 1, "down": -1}


class FeedbackSink(Protocol):
    """Stores one rating of an answer (texts already redacted) and returns its id."""

    def add_feedback(
        self, conversation_id: str, question: str, answer: str, rating: int, comment: str
    ) -> int: ...


class ClosableSink(FeedbackSink, Protocol):
    def close(self) -> None: ...


def record_feedback(
    sink: FeedbackSink,
    guard: Guardrails,
    conversation_id: str,
    question: str,
    answer: str,
    rating: int,
    comment: str = "",
) -> int:
    """Store a rating; the comment is cut to a sane length and redacted first."""
    text = comment.strip()[:MAX_COMMENT_CHARS]
    clean = guard.redact(text).redacted if text else ""
    return sink.add_feedback(conversation_id, question, answer, rating, clean)


def open_feedback_sink(settings: Settings) -> ClosableSink:
    """The review database named by ``review.database_url`` (migrated to the newest schema)."""
    from careguide.review import database_url, open_review_store

    return open_review_store(database_url(settings))
