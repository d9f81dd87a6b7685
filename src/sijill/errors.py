"""The one error root of sijill and its children, each with a message a person can act on.

Messages name files, lines, columns and reasons, never personal values (names, dates of
birth, identifiers). Exit codes: 0 done, 1 invalid input, 2 usage, 3 bad extract, 4 not
found, 5 database not reachable or not migratable, 6 linkage cannot proceed, 7 register busy
(another writer), 8 output cannot be written, 9 refused by the register's current state (a
second death, an undo of an undo), 70 internal error, 130 interrupted.
"""

EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class SijillError(Exception):
    """Root of every error sijill raises on purpose."""

    exit_code = 1


class BadExtract(SijillError):
    """An extract file that cannot be read as its registry's format."""

    exit_code = 3


class UnknownSource(SijillError):
    """A file name that is not one of the five registries."""

    exit_code = 3


class InvalidUIN(SijillError):
    """A number that is not a valid UIN."""

    exit_code = 1


class NotFound(SijillError):
    """A UIN, person or record that the register does not hold."""

    exit_code = 4


class UsageError(SijillError):
    """A command invoked with a value it cannot use (a malformed --db URL, say)."""

    exit_code = 2


class DatabaseNotReady(SijillError):
    """A register database that cannot be reached or migrated."""

    exit_code = 5


class RegisterBusy(SijillError):
    """Another writer holds the register for longer than this one may wait."""

    exit_code = 7


class OutputError(SijillError):
    """A file sijill was asked to write that cannot be written."""

    exit_code = 8


class LinkageError(SijillError):
    """A linkage model or run that cannot proceed."""

    exit_code = 6


class ReviewConflict(SijillError):
    """A review decision the register's current state no longer allows (already taken, say)."""

    exit_code = 1


class EventRefused(SijillError):
    """A life event, operator action or outbox call the register's current state refuses.

    A second death, a death before the birth, an undo of an undo, an acknowledgement past the
    last published event: the request is well formed but would make the register wrong.
    """

    exit_code = 9
