"""Patients' feedback and the clinicians' review queue, part of :class:`ReviewStore`."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from careguide.review.fields import MAX_ROW_ID, choice, text_field
from careguide.review.models import FeedbackRow, QueueItemRow, utc_now
from careguide.review.types import QUEUE_STATUSES, QueueItem, QueueKind, QueueStatus, ReviewError


def _queue_item(row: QueueItemRow) -> QueueItem:
    return QueueItem(
        id=row.id,
        kind=cast(QueueKind, row.kind),
        feedback_id=row.feedback_id,
        question=row.question,
        answer=row.answer,
        reason=row.reason,
        status=cast(QueueStatus, row.status),
        annotation=row.annotation or "",
        label=row.label or "",
        expected_answer=row.expected_answer or "",
        annotated_by=row.annotated_by or "",
        annotated_at=row.annotated_at,
        created_at=row.created_at,
    )


class FeedbackQueueMixin:
    """Feedback and the review queue; ``ReviewStore`` provides ``_transaction``."""

    def _transaction(self, write: bool = True) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def add_feedback(
        self, conversation_id: str, question: str, answer: str, rating: int, comment: str = ""
    ) -> int:
        """Record a patient's rating (texts already redacted); a negative one opens a queue item."""
        if rating not in (1, -1):
            raise ReviewError(f"Rating {rating} is not allowed; use 1 (helpful) or -1 (not helpful).")
        with self._transaction() as session:
            feedback = FeedbackRow(
                conversation_id=conversation_id[:128],
                question=question,
                answer=answer,
                rating=rating,
                comment=comment.strip(),
                created_at=utc_now(),
            )
            session.add(feedback)
            session.flush()
            if rating < 0:
                reason = comment.strip() or "A patient rated this answer not helpful."
                session.add(self._queue_row("feedback", question, answer, reason, feedback.id))
            return feedback.id

    @staticmethod
    def _queue_row(
        kind: QueueKind, question: str, answer: str, reason: str, feedback_id: int | None = None
    ) -> QueueItemRow:
        return QueueItemRow(
            kind=kind,
            feedback_id=feedback_id,
            question=question,
            answer=answer,
            reason=reason,
            status="open",
            created_at=utc_now(),
        )

    def flag(self, question: str, answer: str, reason: str) -> QueueItem:
        """Put an answer in front of a clinician (a guardrail or a staff member flagged it)."""
        reason = text_field("reason", reason)
        with self._transaction() as session:
            row = self._queue_row("flagged", question, answer, reason)
            session.add(row)
            session.flush()
            return _queue_item(row)

    def queue(self, status: QueueStatus | None = "open") -> list[QueueItem]:
        """Queue items with ``status`` (None for all), oldest first."""
        query = select(QueueItemRow).order_by(QueueItemRow.id)
        if status is not None:
            choice("queue status", status, QUEUE_STATUSES)
            query = query.where(QueueItemRow.status == status)
        with self._transaction(write=False) as session:
            return [_queue_item(row) for row in session.scalars(query)]

    def annotate(
        self, item_id: int, annotation: str, label: str, user: str, expected_answer: str = ""
    ) -> QueueItem:
        """Record a clinician's judgement of a queued answer and close the item.

        ``label`` is the verdict the eval set keeps (e.g. "correct", "unsafe", "unsupported");
        ``expected_answer`` is what a good answer would have said. Annotating again overwrites.
        """
        annotation = text_field("annotation", annotation)
        label = text_field("label", label, limit=64)
        user = text_field("annotating user", user, limit=64)
        with self._transaction() as session:
            row = (
                session.get(QueueItemRow, item_id, with_for_update=True)
                if 0 < item_id <= MAX_ROW_ID
                else None
            )
            if row is None:
                raise ReviewError(f"There is no queue item {item_id}; list the queue to find its id.")
            row.annotation = annotation
            row.label = label
            row.expected_answer = expected_answer.strip()
            row.annotated_by = user
            row.annotated_at = utc_now()
            row.status = "done"
            session.flush()
            return _queue_item(row)

    def export_annotations(self) -> list[dict[str, str]]:
        """Annotated items as eval-set records, one dict per JSONL line, oldest first."""
        return [
            {
                "question": item.question,
                "answer": item.answer,
                "label": item.label,
                "annotation": item.annotation,
                "expected_answer": item.expected_answer,
                "reason": item.reason,
                "kind": item.kind,
            }
            for item in self.queue("done")
        ]
