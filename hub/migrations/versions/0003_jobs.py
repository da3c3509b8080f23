"""Batch check jobs: jobs, their work queue, their results and per-source progress (jobs.tables).

Revision 0003.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "check_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("case_no", sa.String(128), nullable=True),
        sa.Column("operator", sa.String(128), nullable=True),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("manifest", sa.Text(), nullable=True),
    )
    op.create_index("ix_check_jobs_caller", "check_jobs", ["caller"])
    op.create_index("ix_check_jobs_status", "check_jobs", ["status"])
    op.create_table(
        "check_job_items",
        sa.Column("job_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim", sa.String(32), nullable=True),
    )
    op.create_index("ix_check_job_items_queue", "check_job_items", ["state", "not_before"])
    op.create_table(
        "check_job_results",
        sa.Column("job_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("report_no", sa.String(32), nullable=False),
        sa.Column("report_hash", sa.String(64), nullable=False),
        sa.Column("subject_name", sa.String(200), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("failed", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )
    op.create_table(
        "check_job_sources",
        sa.Column("job_id", sa.String(32), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("department", sa.String(128), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("check_job_sources")
    op.drop_table("check_job_results")
    op.drop_index("ix_check_job_items_queue", table_name="check_job_items")
    op.drop_table("check_job_items")
    op.drop_index("ix_check_jobs_status", table_name="check_jobs")
    op.drop_index("ix_check_jobs_caller", table_name="check_jobs")
    op.drop_table("check_jobs")
