"""The error family of policykg: every error a user can cause is one of these."""
from __future__ import annotations


class PolicyKGError(Exception):
    """Base of every error policykg reports to a user (CLI line, HTTP 4xx).

    ``kind`` says what went wrong in words the callers map to their own terms
    (web/errors.py to HTTP statuses, the CLI to exit codes): ``invalid``,
    ``refused``, ``not_found``, ``not_acceptable``, ``too_large``, ``timeout``,
    ``unavailable``.
    """

    kind = "invalid"


class IngestError(PolicyKGError):
    """A file could not be read or parsed; names the file and the reason."""

    def __init__(self, path: str | None, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)
