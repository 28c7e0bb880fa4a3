"""The error family of policykg: every error a user can cause is one of these."""
from __future__ import annotations


class PolicyKGError(Exception):
    """Base of every error policykg reports to a user (CLI line, HTTP 4xx)."""

    status = 400  # HTTP status the web layer answers with


class IngestError(PolicyKGError):
    """A file could not be read or parsed; names the file and the reason."""

    def __init__(self, path: str | None, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)
