"""The ``avbench`` command line.

Sub-commands are discovered: every module of this package whose name does not start with ``_``
and that defines ``COMMANDS`` (a list of :class:`click.Command`) contributes them; a module is
imported only when one of its commands runs (``avbench --help``, which lists them all, imports
every one). User errors (:class:`avbench.errors.AvbenchError`) are printed as one line on stderr,
exit status 2, no traceback. Python warnings raised while a command runs are printed as one plain line,
``note: <message>`` (no category, no source path).

The console script is :func:`run`: :func:`main`, then, for a command that marked itself done with
:func:`finished_cleanly` (``evaluate``: its report is written and closed, no thread or child
process is left), the process ends with ``os._exit`` once stdout and stderr are flushed, instead of
the interpreter's teardown (freeing every module and object one by one: about 25 ms of a 0.22 s
``avbench evaluate`` of segment and event F1 at DESED scale, 31 interleaved runs of ``run()``
against ``main()`` in one venv, 2 cores at load 0.9).
:func:`main` itself always returns through ``sys.exit``, so callers in Python (tests) are unaffected.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import warnings

import click

from avbench import __version__
from avbench.errors import AvbenchError

__all__ = ["main", "run", "cli", "finished_cleanly"]

_CLEAN_EXIT = False


# The module of each command, so that running one imports only its module (``avbench evaluate``
# does not import the download, leaderboard or training code). A command missing here is still
# found: the group then imports every module (tests/test_cli.py keeps this table complete).
_HOME = {
    "list": "catalog", "info": "catalog", "demo": "demo", "download": "download", "verify": "download",
    "fetch": "download", "evaluate": "evaluate", "export": "export", "leaderboard": "leaderboard",
    "submit": "submit", "validate": "submit", "train": "train", "predict": "train",
}


def _add_commands(name: str) -> None:
    mod = importlib.import_module(f"{__name__}.{name}")
    for cmd in getattr(mod, "COMMANDS", ()):
        cli.add_command(cmd)


def _command_modules() -> list[str]:
    pkg = sys.modules[__name__]
    return sorted(i.name for i in pkgutil.iter_modules(pkg.__path__) if not i.name.startswith("_"))


class _Group(click.Group):
    """Sub-commands discovered (module docstring), each module imported when one of its commands is needed."""

    _all_loaded = False

    def _load_all(self) -> None:
        if not self._all_loaded:
            for name in _command_modules():
                _add_commands(name)
            self._all_loaded = True

    def list_commands(self, ctx: click.Context | None) -> list[str]:
        self._load_all()
        return super().list_commands(ctx)  # type: ignore[arg-type]

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _HOME:
            _add_commands(_HOME[cmd_name])
        if cmd_name not in self.commands:
            self._load_all()
        return super().get_command(ctx, cmd_name)  # type: ignore[arg-type]


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="avbench")
def cli() -> None:
    """avbench: datasets, metrics and baselines for audio-visual event recognition and localization.

    \b
    Start with:
      avbench demo                     generate the synthetic benchmark, fit a baseline, score it
      avbench list                     datasets, tasks, metrics and baselines
      avbench download ave             fetch a dataset
      avbench evaluate --predictions preds.json
    """


def _note(message: Warning | str, category: type[Warning], filename: str, lineno: int,
          file: object = None, line: str | None = None) -> None:
    """``warnings.showwarning`` for the command line: ``note: <message>`` on one line of stderr."""
    click.echo(f"note: {' '.join(str(message).split())}", err=True)


def finished_cleanly() -> None:
    """Say that the running command has closed every file it wrote and left no thread or child behind.

    Only then may :func:`run` end the process without the interpreter's teardown.
    """
    global _CLEAN_EXIT
    _CLEAN_EXIT = True


def run() -> None:
    """The ``avbench`` console script: :func:`main`, then a fast exit where the command allows it.

    ``avbench evaluate`` also starts numpy with one OpenBLAS thread unless ``OPENBLAS_NUM_THREADS``
    is set: no metric multiplies matrices, and the thread pool OpenBLAS starts at import (one thread
    per core, spinning a while) cost 0.10 s of CPU per run on 2 cores (0.27 s vs 0.17 s of CPU, same
    wall time when idle, measured with ``benchmarks/bench_sed_eval.py``), which a loaded machine
    pays in wall time too.
    """
    if sys.argv[1:2] == ["evaluate"]:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        main()
    except SystemExit as exc:
        if not (_CLEAN_EXIT and isinstance(exc.code, int)):
            raise
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a reader that closed the pipe: nothing more can reach it
                pass
        os._exit(exc.code)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``avbench`` script: user errors are one line on stderr and exit 2."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _note
            rv = cli.main(args=argv, prog_name="avbench", standalone_mode=False)
    except AvbenchError as exc:
        click.echo(f"avbench: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        click.echo(f"avbench: error: {' '.join(exc.format_message().split())}{hint}", err=True)
        sys.exit(2)
    except click.exceptions.ClickException as exc:
        click.echo(f"avbench: error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("avbench: interrupted", err=True)
        sys.exit(130)
    code = rv if isinstance(rv, int) else 0
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
