"""What the sub-commands share: choices that suggest a close value, and ``--json`` output.

Example:
    >>> one_of("testing", ["train", "val", "test"], what="--split")
    Traceback (most recent call last):
    ...
    avbench.errors.InputError: --split 'testing' is not one of train, val, test (did you mean 'test'?)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from avbench.errors import InputError, did_you_mean

__all__ = ["Choice", "one_of", "did_you_mean", "emit_json"]


def one_of(value: str, known: Iterable[str], *, what: str, then: str = "") -> str:
    """``value`` when it is in ``known``; else an :class:`InputError` listing them, with a suggestion."""
    known = list(known)
    if value in known:
        return value
    raise InputError(f"{what} {value!r} is not one of {', '.join(known)}{did_you_mean(value, known)}{then}")


class Choice(click.Choice):
    """:class:`click.Choice` whose error suggests the closest choice."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            hint = did_you_mean(str(value), self.choices)
            self.fail(f"{value!r} is not one of {', '.join(map(str, self.choices))}{hint}", param, ctx)


def emit_json(obj: Any, dest: str | Path | None = "-") -> None:
    """Write ``obj`` as indented JSON to stdout (``dest`` ``"-"`` or ``None``) or atomically to a file."""
    if dest is None or str(dest) == "-":
        click.echo(json.dumps(obj, indent=2, default=str))
        return
    from avbench.io import write_json

    with writing_to(dest, "--json"):
        write_json(dest, obj)


@contextlib.contextmanager
def writing_to(dest: str | Path, option: str) -> Iterator[None]:
    """Turn an ``OSError`` while writing the file an option names into one line (exit 2): the path,
    the reason, what to do. The file itself is written atomically, so nothing is left half-written."""
    try:
        yield
    except OSError as exc:
        raise InputError(f"{option} {dest}: cannot write there ({exc.strerror or exc}); "
                         "choose a path in a writable directory") from None
