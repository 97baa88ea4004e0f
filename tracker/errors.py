"""Domain errors. Each carries the exit code the CLI turns it into (one place: ``cli.main``)."""

from __future__ import annotations


class TrackerError(Exception):
    """A problem the user can act on; the message is one line naming the file or URL."""

    exit_code = 1


class UsageError(TrackerError):
    """Bad arguments or configuration."""

    exit_code = 2


class ConfigError(UsageError):
    """The configuration file is missing, unreadable or holds a bad value."""


class InputError(TrackerError):
    """A release file that cannot be read as what it claims to be."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class GuardError(TrackerError):
    """A release refused by the mass-change guard."""


class NotFoundError(TrackerError):
    """A release or code the store does not hold."""


class FetchError(TrackerError):
    """A download or listing page that could not be fetched or trusted."""


class BusyError(TrackerError):
    """Another check holds the database."""
