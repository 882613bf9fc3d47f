"""Clinician review workspace: users, materials with versions and decisions, feedback and the
review queue (SQLAlchemy; SQLite file by default, PostgreSQL URL at scale), exports of approved
material and its publishing into the knowledge base.

Handout drafting (``drafting``, ``checks``) needs rag and the language model; its names are loaded
on first use, so that opening the review database does not import rag.
"""

import importlib
from typing import TYPE_CHECKING, Any

from careguide.review.audit_table import DatabaseAuditSink
from careguide.review.database import DEFAULT_DATABASE_URL, database_url, sqlite_path
from careguide.review.export import to_html, to_markdown, to_pdf
from careguide.review.job_table import JobRecord, JobTable
from careguide.review.login_failures import DatabaseFailures
from careguide.review.publish import (
    Published,
    approved_path,
    clinic_name,
    material_document,
    publish,
    unpublish,
)
from careguide.review.store import ReviewStore, open_review_store
from careguide.review.types import (
    FORMATS,
    ROLES,
    Decision,
    DecisionKind,
    HistoryEntry,
    Material,
    MaterialCitation,
    MaterialFormat,
    QueueItem,
    ReviewError,
    Role,
    User,
    Version,
)

if TYPE_CHECKING:
    from careguide.review.checks import SentenceCheck, check_body, citations_for, reading_grade
    from careguide.review.drafting import (
        AUDIENCES,
        GRADE_TARGETS,
        LEVELS,
        MAX_TOPIC_CHARS,
        AnswerSource,
        Cancelled,
        OutputCheck,
        Progress,
        clean_topic,
        generate,
        outline,
    )

_LAZY = {
    "checks": ("SentenceCheck", "check_body", "citations_for", "reading_grade"),
    "drafting": (
        "AUDIENCES",
        "GRADE_TARGETS",
        "LEVELS",
        "MAX_TOPIC_CHARS",
        "AnswerSource",
        "Cancelled",
        "OutputCheck",
        "Progress",
        "clean_topic",
        "generate",
        "outline",
    ),
}


def __getattr__(name: str) -> Any:
    for module, names in _LAZY.items():
        if name in names:
            return getattr(importlib.import_module(f"careguide.review.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AUDIENCES",
    "DEFAULT_DATABASE_URL",
    "FORMATS",
    "GRADE_TARGETS",
    "LEVELS",
    "MAX_TOPIC_CHARS",
    "ROLES",
    "AnswerSource",
    "Cancelled",
    "DatabaseAuditSink",
    "DatabaseFailures",
    "Decision",
    "DecisionKind",
    "HistoryEntry",
    "JobRecord",
    "JobTable",
    "Material",
    "MaterialCitation",
    "MaterialFormat",
    "OutputCheck",
    "Progress",
    "Published",
    "QueueItem",
    "ReviewError",
    "ReviewStore",
    "Role",
    "SentenceCheck",
    "User",
    "Version",
    "approved_path",
    "check_body",
    "citations_for",
    "clean_topic",
    "clinic_name",
    "database_url",
    "generate",
    "material_document",
    "open_review_store",
    "outline",
    "publish",
    "reading_grade",
    "sqlite_path",
    "to_html",
    "to_markdown",
    "to_pdf",
    "unpublish",
]
