"""Exceptions raised to users.

Every user-facing error is an :class:`AvbenchError` whose message is one line that names the file,
clip or field at fault, what was expected, what was given and the next step. The CLI prints the
message alone and exits with status 2 (see :mod:`avbench.cli`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

__all__ = ["AvbenchError", "InputError", "MissingExtraError", "DataNotFoundError", "DownloadError", "did_you_mean", "dataclass_options"]


class AvbenchError(Exception):
    """Base class of the errors avbench reports to a user (CLI exit status 2)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        if not message or not message.strip():
            raise ValueError("AvbenchError needs a non-empty message")
        # One line: the CLI prints exactly this.
        super().__init__(" ".join(message.split("\n")))


class InputError(AvbenchError, ValueError):
    """A user-supplied file, argument or record is malformed or inconsistent."""


class MissingExtraError(AvbenchError, ImportError):
    """An optional dependency is missing; the message names the extra that installs it."""


class DataNotFoundError(AvbenchError, FileNotFoundError):
    """Dataset files are not where they should be; the message says which command fetches them."""


class DownloadError(AvbenchError):
    """A download failed after its retries, or its bytes did not verify."""


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` naming the closest of ``known`` (difflib ratio >= 0.6), or ``""``.

    Example:
        >>> did_you_mean("testing", ["train", "test"]), did_you_mean("zzz", ["train"])
        (" (did you mean 'test'?)", '')
    """
    import difflib

    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def dataclass_options(cls: Any, obj: Mapping[str, Any] | None, source: str, *, noun: str = "key") -> Any:
    """``cls(**obj)`` for a dataclass of options; an :class:`InputError` naming the unknown keys
    (``source: unknown key(s) ...; known: ...``) otherwise.

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass
        ... class Opts:
        ...     a: int = 1
        >>> dataclass_options(Opts, {"a": 2}, "cfg")
        Opts(a=2)
        >>> dataclass_options(Opts, {"b": 2}, "cfg")
        Traceback (most recent call last):
        ...
        avbench.errors.InputError: cfg: unknown key(s) b; known: a
    """
    obj = dict(obj or {})
    known = [f.name for f in fields(cls)]
    bad = sorted(set(obj) - set(known))
    if bad:
        raise InputError(f"{source}: unknown {noun}(s) {', '.join(bad)}; known: {', '.join(known)}")
    return cls(**obj)
