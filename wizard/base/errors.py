"""Errors the CLI turns into one-line messages and exit codes (never a traceback)."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    DRIFT = 1  # --check: the repo differs from what the answers render
    BAD_INPUT = 2  # answers file, command line, repo path, not a terminal
    INVALID = 3  # rendered manifests failed validation; nothing written
    CONFLICT = 4  # a hand-edited file would be overwritten; nothing written
    WRITE_FAILED = 5  # the filesystem refused; everything rolled back
    SECRETS = 6  # the 1Password check failed
    NOT_CONFIGURED = 7  # 1Password Connect not configured and --skip-secret-check not given
    BUSY = 8  # another obs-wizard run holds the repo's lock
    VERIFY_FAILED = 9  # verify: a check on the live cluster failed
    UNREACHABLE = 10  # verify: kubectl cannot reach the cluster (or has no context); nothing was checked
    INTERNAL = 70  # a bug: an unexpected exception (EX_SOFTWARE); nothing was written
    CANCELLED = 130  # Ctrl+C (SIGINT) or SIGTERM


class WizardError(Exception):
    """An expected failure with a message for the operator and an exit code."""

    exit_code: Exit = Exit.BAD_INPUT

    def __init__(self, message: str, *, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []

    def lines(self) -> list[str]:
        return [self.message, *self.details]


class BadInput(WizardError):
    exit_code = Exit.BAD_INPUT


class AnswersInvalid(WizardError):
    """Every problem in an answers file, each as ``FILE:LINE: field.path: what is wrong``."""

    exit_code = Exit.BAD_INPUT

    def __init__(self, problems: list[str]):
        super().__init__(problems[0] if problems else "invalid answers", details=problems[1:])
        self.problems = problems

    def lines(self) -> list[str]:
        return self.problems


class ValidationFailed(WizardError):
    exit_code = Exit.INVALID


class ConflictError(WizardError):
    exit_code = Exit.CONFLICT


class WriteFailed(WizardError):
    exit_code = Exit.WRITE_FAILED


class SecretsMissing(WizardError):
    exit_code = Exit.SECRETS


class ConnectNotConfigured(WizardError):
    exit_code = Exit.NOT_CONFIGURED


class Busy(WizardError):
    exit_code = Exit.BUSY


class Cancelled(WizardError):
    exit_code = Exit.CANCELLED
