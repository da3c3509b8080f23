"""The audit log (entries, subjects, consents, applications, checkpoints, meta, flag reviews),
consents, objections and their events, applications, issued reports and their numbering, and
the console's sessions.

Revision 0001, the first: the tables as the hub created them at start-up before migrations
(consents with their provenance). A store that such a hub created is taken over with
`alembic stamp 0001` once its tables are checked equal (the test of the migrations compares).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit_meta",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("caller", sa.String(64)),
        sa.Column("purpose", sa.String(64)),
        sa.Column("case_no", sa.String(128)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_entries_time", "audit_entries", ["time"])
    op.create_index("ix_audit_entries_caller", "audit_entries", ["caller"])
    op.create_table(
        "audit_subjects",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
    )
    op.create_index("ix_audit_subjects_subject", "audit_subjects", ["subject"])
    op.create_table(
        "audit_consents",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("consent_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_consents_consent", "audit_consents", ["consent_id"])
    op.create_table(
        "audit_applications",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("application", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_applications_application", "audit_applications", ["application"])
    op.create_table(
        "audit_checkpoints",
        sa.Column("size", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("log_id", sa.String(64), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("frontier", sa.Text(), nullable=False),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("grantee", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetch_type", sa.String(16), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=True),
    )
    op.create_index("ix_consents_subject", "consents", ["subject"])
    op.create_table(
        "audit_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("flag_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("seqs", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("operator", sa.String(128), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_audit_reviews_flag_id", "audit_reviews", ["flag_id"])
    op.create_table(
        "console_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("operator", sa.String(128), nullable=False),
        sa.Column("case_no", sa.String(128), nullable=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("search", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])
    _objections_and_applications()


def _objections_and_applications() -> None:
    op.create_table(
        "objections",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("field", sa.String(64), nullable=True),
        sa.Column("report_no", sa.String(64), nullable=True),
        sa.Column("record_ref", sa.String(128), nullable=True),
        sa.Column("source", sa.String(64), nullable=True),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("desk", sa.String(32), nullable=True),
        sa.Column("desk_ref", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(64), nullable=False),
        sa.Column("operator", sa.String(128), nullable=True),
        sa.Column("application", sa.String(40), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sealed_subject", sa.Text(), nullable=False),
        sa.UniqueConstraint("fingerprint"),
    )
    for column in ("application", "raised_by", "state", "subject"):
        op.create_index(f"ix_objections_{column}", "objections", [column])
    op.create_table(
        "objection_events",
        sa.Column("objection_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_objection_events_objection_id", "objection_events", ["objection_id"])
    op.create_table(
        "applications",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("matter", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("parties", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("operator", sa.String(128), nullable=True),
        sa.Column("case_no", sa.String(128), nullable=True),
    )
    op.create_index("ix_applications_owner", "applications", ["owner"])
    op.create_table(
        "reports",
        sa.Column("report_no", sa.String(32), primary_key=True),
        sa.Column("report_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("subject_name", sa.String(200), nullable=True),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("report_id"),
    )
    for column in ("caller", "expires_at", "uscc"):
        op.create_index(f"ix_reports_{column}", "reports", [column])
    op.create_table(
        "report_numbers",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("issued", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_numbers")
    for column in ("caller", "expires_at", "uscc"):
        op.drop_index(f"ix_reports_{column}", table_name="reports")
    op.drop_table("reports")
    op.drop_index("ix_applications_owner", table_name="applications")
    op.drop_table("applications")
    op.drop_index("ix_objection_events_objection_id", table_name="objection_events")
    op.drop_table("objection_events")
    for column in ("application", "raised_by", "state", "subject"):
        op.drop_index(f"ix_objections_{column}", table_name="objections")
    op.drop_table("objections")
    op.drop_index("ix_console_sessions_expires_at", table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_index("ix_audit_reviews_flag_id", table_name="audit_reviews")
    op.drop_table("audit_reviews")
    op.drop_index("ix_consents_subject", table_name="consents")
    op.drop_table("consents")
    op.drop_table("audit_checkpoints")
    op.drop_index("ix_audit_consents_consent", table_name="audit_consents")
    op.drop_table("audit_consents")
    op.drop_index("ix_audit_applications_application", table_name="audit_applications")
    op.drop_table("audit_applications")
    op.drop_index("ix_audit_subjects_subject", table_name="audit_subjects")
    op.drop_table("audit_subjects")
    op.drop_index("ix_audit_entries_caller", table_name="audit_entries")
    op.drop_index("ix_audit_entries_time", table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_table("audit_meta")
