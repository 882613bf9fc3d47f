"""Clinician review workspace: users, materials with versions and decisions, feedback and the
review queue (SQLAlchemy; SQLite file by default, PostgreSQL URL at scale), exports of approved
material and its publishing into the knowledge base."""

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

__all__ = [
    "DEFAULT_DATABASE_URL",
    "FORMATS",
    "ROLES",
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
    "Published",
    "QueueItem",
    "ReviewError",
    "ReviewStore",
    "Role",
    "User",
    "Version",
    "approved_path",
    "clinic_name",
    "database_url",
    "material_document",
    "open_review_store",
    "publish",
    "sqlite_path",
    "to_html",
    "to_markdown",
    "to_pdf",
    "unpublish",
]
