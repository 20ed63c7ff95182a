"""User errors: the one base class the CLI reports as a message, and the errors about files.

Every error a user can cause (a bad scenario, an option out of range, a run that is not in the
file, a file that cannot be written) is a :class:`CarbonsimError`: the CLI prints its message
after ``Error:`` and exits 2. Anything else that escapes a command is a bug in carbonsim, and
the CLI says so (exit 1, the traceback saved to a file). The subclasses are also the built-in
exception a library caller would expect (``ValueError``, ``KeyError``), so code that caught
those keeps working.

SQLite's own messages ("unable to open database file", "database or disk is full") do not
say which file, nor what to do; :func:`describe_sqlite_error` turns them into a sentence a
user can act on. The CLI prints a :class:`FileProblem` as one line and exits 2.
"""

from __future__ import annotations

import os
import sqlite3

#: Seconds a writer waits for another process's write lock before giving up. Ours: a flush
#: of 5,000 events takes well under a second, a concurrent migration less.
LOCK_WAIT_SECONDS = 30.0


class CarbonsimError(Exception):
    """A user error: the message names what was given (file, option, field), what is wrong
    and what is allowed. Raise a subclass."""


class InputError(CarbonsimError, ValueError):
    """Bad input: an option, a value or a request the data cannot answer."""


class NotFound(CarbonsimError, KeyError):
    """Something asked for by id (a run, an order, a footprint) is not in the file."""

    def __str__(self) -> str:  # KeyError's own str() is the repr of its argument, quotes and all
        return str(self.args[0]) if self.args else ""


class FileProblem(CarbonsimError, ValueError):
    """A file could not be read or written as asked."""


def describe_sqlite_error(
    path: str | os.PathLike[str], exc: BaseException, *, writing: bool = True, lock_wait: float = LOCK_WAIT_SECONDS
) -> str:
    """One line naming ``path`` and what the SQLite or OS error ``exc`` means for it."""
    name = os.fspath(path)
    text = str(exc)
    low = text.lower()
    folder = os.path.dirname(os.path.abspath(name))
    if isinstance(exc, OverflowError) or "too large to convert" in low:
        return f"{name}: a value does not fit SQLite's 64-bit integers (-2^63 .. 2^63-1): {text}"
    if "unable to open database file" in low or isinstance(exc, FileNotFoundError):
        if not os.path.isdir(folder):
            return f"{name}: cannot open: the folder {folder} does not exist"
        if writing and _read_only_filesystem(folder):
            return f"{name}: cannot write: {folder} is on a read-only filesystem"
        if writing and not os.access(folder, os.W_OK):
            return f"{name}: cannot open: the folder {folder} is not writable"
        return f"{name}: cannot open it (SQLite says: {text})"
    if "readonly" in low or "read-only" in low or isinstance(exc, PermissionError):
        return f"{name}: the file or its filesystem is read-only, and this command writes to it ({text})"
    if "disk is full" in low or "no space" in low:
        return f"{name}: the disk is full; free some space and run again (SQLite says: {text})"
    if "database is locked" in low or "database table is locked" in low or "busy" in low:
        return (
            f"{name}: locked by another writer, still after waiting {lock_wait:g} s "
            "(one process writes a log at a time; wait for it or use another file)"
        )
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return f"{name}: the file is damaged or not a SQLite database (SQLite says: {text})"
    if "no such table" in low or "no such column" in low:
        return f"{name}: not a complete carbonsim event log: {text} (was a table dropped or changed?)"
    if isinstance(exc, OSError):
        return f"{name}: {exc.strerror or text}"
    return f"{name}: SQLite error: {text}"


def _read_only_filesystem(folder: str) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False


def file_problem(
    path: str | os.PathLike[str], exc: BaseException, *, writing: bool = True, lock_wait: float = LOCK_WAIT_SECONDS
) -> FileProblem:
    """``exc`` as a :class:`FileProblem` about ``path`` (raise it ``from exc``)."""
    return FileProblem(describe_sqlite_error(path, exc, writing=writing, lock_wait=lock_wait))


def is_file_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a SQLite or OS failure about a file rather than a bug of ours."""
    if isinstance(exc, (sqlite3.OperationalError, OSError)):
        return True
    return type(exc) is sqlite3.DatabaseError  # "file is not a database", "malformed": not IntegrityError
