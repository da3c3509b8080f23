"""The errors of the job package, each with a stable code:

    JobError
    ├── ListInvalid      (BAD_USER_INPUT)  an uploaded list cannot be read, or has bad lines
    │   └── ListTooLarge                    larger than a list may be (HTTP 413)
    ├── JobUnknown       (NOT_FOUND)       no such job for this caller
    └── JobsUnavailable  (INTERNAL)        the store failed
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BadLine", "JobError", "JobUnknown", "JobsUnavailable", "ListInvalid", "ListTooLarge"]


class JobError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class BadLine:
    """One line of a list that is not a valid USCC: where, what it said, and why."""

    line: int  # 1-based line (CSV) or row (XLSX)
    text: str
    reason: str

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "text": self.text, "reason": self.reason}


class ListInvalid(JobError):
    """The list cannot be used; `bad` names the lines that are not valid codes."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, bad: tuple[BadLine, ...] = ()) -> None:
        super().__init__(message)
        self.bad = bad


class ListTooLarge(ListInvalid):
    """The file is larger than any list may be; refused before it is read."""


class JobUnknown(JobError):
    code = "NOT_FOUND"


class JobsUnavailable(JobError):
    code = "INTERNAL"
