"""The review workspace: users, materials with versions and decisions, feedback and the review queue.

Revision ID: 0001
Revises:
Create Date: 2026-11-20

Written out in full (not imported from the models) so that later model changes never rewrite what
an existing database was created with. Constraint names follow ``models.NAMING_CONVENTION`` and are
given in full through ``op.f`` (alembic would otherwise apply the convention to them a second time).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _timestamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        sa.CheckConstraint("role IN ('clinician', 'admin')", name=op.f("ck_users_role")),
    )
    op.create_table(
        "materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("audience", sa.String(64), nullable=False),
        sa.Column("reading_level", sa.String(32), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_materials")),
        sa.CheckConstraint("format IN ('handout', 'faq')", name=op.f("ck_materials_format")),
        sa.CheckConstraint("status IN ('draft', 'approved', 'rejected')", name=op.f("ck_materials_status")),
    )
    op.create_index(op.f("ix_materials_status"), "materials", ["status"])
    op.create_table(
        "material_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("grade", sa.Float(), nullable=True),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("change_note", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_versions")),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["materials.id"],
            name=op.f("fk_material_versions_material_id_materials"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("material_id", "version", name=op.f("uq_material_versions_material_id")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_material_versions_version_positive")),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.ForeignKeyConstraint(
            ["material_id", "version"],
            ["material_versions.material_id", "material_versions.version"],
            name=op.f("fk_decisions_material_id_material_versions"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("decision IN ('approve', 'reject')", name=op.f("ck_decisions_decision")),
    )
    op.create_index(op.f("ix_decisions_material_id"), "decisions", ["material_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.CheckConstraint("rating IN (-1, 1)", name=op.f("ck_feedback_rating")),
    )
    op.create_index(op.f("ix_feedback_conversation_id"), "feedback", ["conversation_id"])
    op.create_table(
        "queue_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("annotation", sa.Text(), nullable=True),
        sa.Column("label", sa.String(64), nullable=True),
        sa.Column("expected_answer", sa.Text(), nullable=True),
        sa.Column("annotated_by", sa.String(64), nullable=True),
        _timestamp("annotated_at", nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_items")),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_queue_items_feedback_id_feedback"),
            ondelete="SET NULL",
        ),
        sa.CheckConstraint("kind IN ('feedback', 'flagged')", name=op.f("ck_queue_items_kind")),
        sa.CheckConstraint("status IN ('open', 'done')", name=op.f("ck_queue_items_status")),
    )
    op.create_index(op.f("ix_queue_items_status"), "queue_items", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_queue_items_status"), table_name="queue_items")
    op.drop_table("queue_items")
    op.drop_index(op.f("ix_feedback_conversation_id"), table_name="feedback")
    op.drop_table("feedback")
    op.drop_index(op.f("ix_decisions_material_id"), table_name="decisions")
    op.drop_table("decisions")
    op.drop_table("material_versions")
    op.drop_index(op.f("ix_materials_status"), table_name="materials")
    op.drop_table("materials")
    op.drop_table("users")
