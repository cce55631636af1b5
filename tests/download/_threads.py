"""Test helper: run a call that must not hang, with a bound."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def in_thread(fn: Callable[[], Any], limit: float = 30.0) -> BaseException | None:
    """Run ``fn`` in a daemon thread; fail the test when it has not returned after ``limit`` s.

    Returns the exception ``fn`` raised, or None.
    """
    result: list[BaseException | None] = []

    def run() -> None:
        try:
            fn()
            result.append(None)
        except BaseException as exc:  # noqa: BLE001 - inspected by the caller
            result.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(limit)
    assert not t.is_alive(), f"still running after {limit:.0f} s"
    return result[0]
