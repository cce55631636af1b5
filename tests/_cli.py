"""Running ``avbench`` in-process from a test: exit status, stdout and stderr."""

from __future__ import annotations

import pytest

from avbench.cli import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``(exit status, stdout, stderr)`` of ``avbench ARGS`` (click exits through ``SystemExit``)."""
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err
