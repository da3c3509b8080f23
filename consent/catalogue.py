"""The purpose catalogue (`matters`): the registered "one things" and the enterprise checks.

For each purpose: who may use it, which data categories it may release (per subject role), its
legal basis (the subject's consent, or a statutory duty) and the fair-use caps on consents given
for it (longest validity, one-time or reusable, most uses). A matter is data: one TOML file per
matter in `matters/data/` (read and validated by `matters.load`); a deployment overrides or
extends them with `[matters.CODE]` tables (read by `hub.config.matters`).
"""

from __future__ import annotations

from collections.abc import Mapping

from matters.load import packaged_matters
from matters.spec import FETCH_TYPES, LEGAL_BASES, LegalBasis, Matter

__all__ = ["DEFAULT_MATTERS", "FETCH_TYPES", "LEGAL_BASES", "LegalBasis", "Matter"]

# The packaged files are part of the program, like a table in code: read once here, and a bad
# one stops the hub at start with the file and key named.
DEFAULT_MATTERS: Mapping[str, Matter] = packaged_matters()
