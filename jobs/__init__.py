"""Durable batch check jobs: the store that keeps jobs, their items and results, the reading of
enterprise lists (CSV, XLSX), and the signed job manifest (a Merkle tree over the reports).

Plain Python and SQLAlchemy: the package never imports the web stack or the GraphQL schema.
The gateway (`schema.gateway.jobs`) submits and reads jobs and runs their chunks; the hub's
worker (`hub.job_worker`) claims chunks in the background.
"""

from __future__ import annotations

__all__: list[str] = []
