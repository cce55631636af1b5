"""Small file helpers shared by the whole package: atomic writes and JSON.

Nothing avbench writes is ever left half-written: outputs go to a temporary file in the same
directory and are renamed into place (``os.replace``, atomic on POSIX and Windows).

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_json(d / "out.json", {"a": 1.0})
    >>> read_json(d / "out.json")
    {'a': 1.0}
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from avbench.errors import InputError
from avbench.results import jsonable

__all__ = ["atomic_open", "atomic_write_text", "write_json", "read_text", "read_json", "new_temp"]


def new_temp(directory: str | os.PathLike[str], prefix: str, suffix: str = ".tmp") -> tuple[int, str]:
    """``(fd, path)`` of a new file in ``directory`` opened for writing, created exclusively (never an
    existing file or link) under a random name, with the permissions of a plain ``open`` (``0o666``
    less the umask; ``tempfile.mkstemp`` would give ``0o600``, and its import costs a few ms at the
    start of every ``avbench evaluate``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = os.path.join(directory, f"{prefix}{os.urandom(6).hex()}{suffix}")
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(f"{directory}: no free temporary name {prefix}*{suffix}")


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = new_temp(target.parent, f".{target.name}.")
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically; numpy values and NaN are made JSON-safe."""
    atomic_write_text(path, json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a UTF-8 text file (a byte-order mark is dropped); a missing file, a directory or
    another encoding is an :class:`InputError` naming the file."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{p}: expected a file, got a directory") from None
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a UTF-8 text file") from None


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file; a missing or malformed file is an :class:`InputError` naming it."""
    p = Path(path)
    text = read_text(p)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
