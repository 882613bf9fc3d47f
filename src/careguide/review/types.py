"""The plain values the review store hands out.

Callers get frozen dataclasses, never live ORM rows: a row outlives its session badly (lazy loads
fail, edits would be written by whoever commits next), and the UI and exports need only values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from careguide.errors import UserError

Role = Literal["clinician", "admin"]
MaterialFormat = Literal["handout", "faq"]
MaterialStatus = Literal["draft", "approved", "rejected"]
DecisionKind = Literal["approve", "reject"]
QueueKind = Literal["feedback", "flagged"]
QueueStatus = Literal["open", "done"]

ROLES: tuple[Role, ...] = ("clinician", "admin")
FORMATS: tuple[MaterialFormat, ...] = ("handout", "faq")
STATUSES: tuple[MaterialStatus, ...] = ("draft", "approved", "rejected")
DECISIONS: tuple[DecisionKind, ...] = ("approve", "reject")
QUEUE_KINDS: tuple[QueueKind, ...] = ("feedback", "flagged")
QUEUE_STATUSES: tuple[QueueStatus, ...] = ("open", "done")


class ReviewError(UserError):
    """A problem a user or caller can fix; the message is one sentence naming it and the fix."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    created_at: datetime
    active: bool = True


@dataclass(frozen=True)
class MaterialCitation:
    """One cited passage of a material, stored as JSON with its version."""

    n: int
    chunk_id: str = ""
    title: str = ""
    source: str = ""
    url: str = ""
    quote: str = ""
    organisation: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MaterialCitation:
        """Accept the dicts the answer path produces; unknown keys are ignored, bad types refused."""
        try:
            n = int(data["n"])
        except (KeyError, TypeError, ValueError):
            raise ReviewError(
                f"Citation {dict(data)!r} has no integer 'n'; number every citation from 1."
            ) from None
        fields = ("chunk_id", "title", "source", "url", "quote", "organisation")
        values = {key: data.get(key) or "" for key in fields}
        for key, value in values.items():
            if not isinstance(value, str):
                raise ReviewError(f"Citation [{n}] field '{key}' is not text; pass it as a string.")
        return cls(n=n, **values)


@dataclass(frozen=True)
class Version:
    material_id: int
    version: int
    body: str
    citations: tuple[MaterialCitation, ...]
    grade: float | None
    author: str
    change_note: str
    created_at: datetime


@dataclass(frozen=True)
class Material:
    """A material with its latest version's content."""

    id: int
    topic: str
    audience: str
    reading_level: str
    format: MaterialFormat
    status: MaterialStatus
    created_by: str
    created_at: datetime
    version: int
    body: str
    citations: tuple[MaterialCitation, ...]
    grade: float | None
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class Decision:
    material_id: int
    version: int
    decision: DecisionKind
    comment: str
    reviewer: str
    created_at: datetime


@dataclass(frozen=True)
class HistoryEntry:
    """One event in a material's life: a version written or a decision taken.

    For versions after the first, ``diff`` is the unified diff from the previous version's body.
    ``note`` is the change note of a version or the comment of a decision.
    """

    kind: Literal["version", "decision"]
    version: int
    actor: str
    at: datetime
    note: str
    decision: DecisionKind | None = None
    diff: str = ""


@dataclass(frozen=True)
class QueueItem:
    id: int
    kind: QueueKind
    feedback_id: int | None
    question: str
    answer: str
    reason: str
    status: QueueStatus
    annotation: str
    label: str
    expected_answer: str
    annotated_by: str
    annotated_at: datetime | None
    created_at: datetime
