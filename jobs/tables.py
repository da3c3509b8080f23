"""The job tables of the hub's store (migration 0003): jobs, their items (the work queue),
their results (one row per enterprise, written once: the primary key refuses a second), and a
counter per job and source for the progress display."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

__all__ = ["JobTables", "job_tables"]


@dataclass(frozen=True, slots=True)
class JobTables:
    jobs: Table
    items: Table
    results: Table
    sources: Table


def job_tables(metadata: MetaData) -> JobTables:
    jobs = Table(
        "check_jobs", metadata,
        Column("id", String(32), primary_key=True),
        Column("caller", String(64), nullable=False, index=True),
        Column("kind", String(32), nullable=False),
        Column("purpose", String(64), nullable=False),
        Column("case_no", String(128), nullable=True),
        Column("operator", String(128), nullable=True),
        Column("since", Date, nullable=True),
        Column("until", Date, nullable=True),
        Column("status", String(16), nullable=False, index=True),
        Column("total", Integer, nullable=False),
        Column("skipped", Text, nullable=False),  # JSON: the bad lines left out
        Column("detail", Text, nullable=True),  # why FAILED
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("started_at", DateTime(timezone=True), nullable=True),
        Column("deadline_at", DateTime(timezone=True), nullable=False),
        Column("finished_at", DateTime(timezone=True), nullable=True),
        Column("manifest", Text, nullable=True),  # the signed manifest, JSON
    )
    items = Table(
        "check_job_items", metadata,
        Column("job_id", String(32), primary_key=True),
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("uscc", String(18), nullable=False),
        Column("state", String(10), nullable=False),  # PENDING | CLAIMED | DONE
        Column("attempts", Integer, nullable=False),
        Column("not_before", DateTime(timezone=True), nullable=False),
        Column("lease_until", DateTime(timezone=True), nullable=True),
        Column("claim", String(32), nullable=True),
        Index("ix_check_job_items_queue", "state", "not_before"),
    )
    results = Table(
        "check_job_results", metadata,
        Column("job_id", String(32), primary_key=True),
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("uscc", String(18), nullable=False),
        Column("verdict", String(20), nullable=False),
        Column("report_no", String(32), nullable=False),
        Column("report_hash", String(64), nullable=False),
        Column("subject_name", String(200), nullable=True),
        Column("findings", Text, nullable=False),  # domain codes with findings, comma-separated
        Column("failed", Text, nullable=False),  # sources that did not answer usably
        Column("attempts", Integer, nullable=False),
    )
    sources = Table(
        "check_job_sources", metadata,
        Column("job_id", String(32), primary_key=True),
        Column("source", String(64), primary_key=True),
        Column("department", String(128), nullable=False),
        Column("answered", Integer, nullable=False),
        Column("failed", Integer, nullable=False),
    )
    return JobTables(jobs, items, results, sources)
