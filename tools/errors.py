"""Errors the tools raise. `str(error)` is always safe to show a customer."""

from __future__ import annotations


class ToolError(Exception):
    """Base of every tool error: a machine `code` and a customer-safe `message`."""

    code = "tool_error"
    default_message = "That request could not be completed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotFound(ToolError):
    """The thing asked for does not exist for this caller (another's reads the same)."""

    code = "not_found"
    default_message = "We couldn't find that on your account."


class NotAllowed(ToolError):
    """A policy forbids the action; the message says which rule and why."""

    code = "not_allowed"
    default_message = "That isn't allowed by our policy."


class BackendUnavailable(ToolError):
    """The backing store failed (connection, lock, timeout); nothing was changed."""

    code = "tool_failure"
    default_message = "Our order system is not answering right now; nothing was changed."


class ApprovalRequired(ToolError):
    """The refund is above the policy's auto-approve limit: a human must decide.

    `eligibility` is the verdict that was checked (amount, destination, order).
    """

    code = "approval_required"
    default_message = "This refund needs a human's approval."

    def __init__(self, eligibility: object, message: str | None = None) -> None:
        super().__init__(message)
        self.eligibility = eligibility


class VerificationLocked(ToolError):
    """Too many failed identity checks in this conversation; a person must take over."""

    code = "verification_locked"
    default_message = "Too many failed verification attempts in this conversation."
