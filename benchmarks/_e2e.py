"""Shared timing helpers of the benchmarks (not a test): interleaved subprocess runs, medians, load.

End to end means as a user runs it: a fresh interpreter per run (start-up and imports included),
reading the files from disk, printing the numbers. :func:`interleaved` runs every command once per
round, the order rotating from round to round, so that a change of machine load hits every tool
alike; the figure of each command is its median over the rounds. Each run's CPU time (user +
system of the child, ``RUSAGE_CHILDREN``) is kept beside its wall time: on shared cores the wall
time mostly measures the other processes' load (a short command waits for a core as long as a
long one), CPU time much less, so the benchmarks print both ratios.

Bytecode: the runs read the ``.pyc`` files that the untimed warm-up run wrote, as a user's runs
read those ``pip install`` compiled. ``PYTHONDONTWRITEBYTECODE`` is therefore dropped from the runs'
environment: with it set (as in some shells), an editable checkout would recompile every avbench
module on every run (about 0.1 s of a 0.3 s command) while the peers, installed by pip, read
their ``.pyc`` files, and the comparison would measure the compiler.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["load", "catalogue_note", "interleaved", "avbench_cli", "row", "last_json"]


def load() -> str:
    """``"load average 1.2, 0.9, 0.7 (2 cores)"``: timings are only comparable at similar load."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)"


def catalogue_note() -> str:
    """Whether ``avbench evaluate`` will find a current listing catalogue (else it discovers every plug-in)."""
    from avbench import catalog

    found = catalog.current()
    if found is None:
        return ("catalogue: STALE (plug-in files changed since avbench/catalog.json was written): every avbench run "
                "imports all plug-ins; run `python -m avbench.catalog --write` for figures as a user gets them")
    return f"catalogue: current ({found[1]})"


def avbench_cli() -> list[str]:
    """The ``avbench`` console script of this interpreter's environment (what a user types)."""
    script = Path(sys.executable).with_name("avbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "avbench"]


def last_json(text: str) -> dict:
    """The last line of ``text`` that is a JSON object."""
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError(f"no JSON line in output: {text[-300:]!r}")


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def interleaved(commands: Mapping[str, Sequence[str]], rounds: int, *, before: Mapping[str, Callable[[], None]] | None = None,
                env: Mapping[str, Mapping[str, str]] | None = None, timeout: float = 3600,
                cpu: dict[str, list[float]] | None = None) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Wall seconds of each command over ``rounds`` rounds (one untimed warm-up each), and its last stdout.

    ``before[name]`` runs untimed before each run of ``name`` (e.g. clearing a cache for a cold
    run); ``env[name]`` is added to that command's environment; ``cpu``, when given, receives each
    command's CPU seconds (user + system) per round.

    Raises:
        RuntimeError: a command failed (its stderr's last line).
    """
    names = list(commands)
    times: dict[str, list[float]] = {n: [] for n in names}
    out: dict[str, str] = {}
    last_cpu: dict[str, float] = {}

    def once(name: str) -> float:
        if before and name in before:
            before[name]()
        e = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        e.update((env or {}).get(name, {}))
        t, c = time.perf_counter(), _child_cpu()
        res = subprocess.run(list(commands[name]), capture_output=True, text=True, env=e, timeout=timeout)
        dt = time.perf_counter() - t
        last_cpu[name] = _child_cpu() - c
        if res.returncode != 0:
            tail = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else f"exit {res.returncode}"
            raise RuntimeError(f"{name}: {tail}")
        out[name] = res.stdout
        return dt

    for n in names:  # warm the page cache and the .pyc files
        once(n)
    for r in range(rounds):
        for n in names[r % len(names):] + names[:r % len(names)]:
            times[n].append(once(n))
            if cpu is not None:
                cpu.setdefault(n, []).append(last_cpu[n])
    return times, out


def row(label: str, seconds: Sequence[float], cpu: Sequence[float] | None = None) -> str:
    """``label: median s (min .. max, n runs)``, and the median CPU seconds when given."""
    return (f"{label}: {statistics.median(seconds):.3f} s median ({min(seconds):.3f} .. {max(seconds):.3f}, "
            f"{len(seconds)} runs)" + (f"; CPU {statistics.median(cpu):.3f} s" if cpu else ""))
