"""Start-up time of the listing commands, as a user runs them, and what their imports cost.

Runs ``avbench --help``, ``avbench list``, ``avbench info ave`` and ``avbench info psds1`` as
subprocesses (the console script, a fresh interpreter each time), ``--repeat`` times each after one
warm-up, and prints the median and best wall time; then the ten most expensive imports of each
command from ``python -X importtime``, and whether numpy / scipy / a plug-in module was imported.
For scale it also times ``python -c pass`` and ``python -c "import numpy"`` on the same machine in
the same run, and prints the load average (2 shared cores here: medians move with the load).

Target (issue 16): each listing command under 0.3 s.

Usage:
    python benchmarks/bench_startup.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = [["--help"], ["list"], ["info", "ave"], ["info", "psds1"]]


def _time(argv: list[str], repeat: int) -> tuple[float, float]:
    subprocess.run(argv, capture_output=True)  # warm the page cache and the catalogue cache
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), min(runs)


def _imports(args: list[str]) -> tuple[list[tuple[int, str]], list[str]]:
    code = f"import sys; sys.argv = ['avbench', *{args!r}]\nfrom avbench.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True)
    rows, names = [], []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cum, name = line.split("|")
        try:
            rows.append((int(cum.strip()), name.rstrip()))
        except ValueError:
            continue
        names.append(name.strip())
    heavy = sorted({n.split(".")[0] for n in names if n.split(".")[0] in ("numpy", "scipy")}
                   | {".".join(n.split(".")[:3]) for n in names
                      if n.startswith(("avbench.metrics.", "avbench.recipes.", "avbench.baselines."))})
    top = sorted((r for r in rows if r[1].count("  ") <= 1 or not r[1].startswith("    ")), reverse=True)[:10]
    return top, heavy


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    exe = shutil.which("avbench")
    if exe is None:
        print("avbench is not installed in this environment (pip install -e .)", file=sys.stderr)
        return 2
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.repeat} runs each (median, best)")
    for label, argv in (("python -c pass", [sys.executable, "-c", "pass"]),
                        ("python -c 'import numpy'", [sys.executable, "-c", "import numpy"])):
        med, best = _time(argv, args.repeat)
        print(f"  {label:<28} {med:6.3f} s  {best:6.3f} s")
    worst = 0.0
    for cmd in COMMANDS:
        med, best = _time([exe, *cmd], args.repeat)
        worst = max(worst, med)
        print(f"  avbench {' '.join(cmd):<20} {med:6.3f} s  {best:6.3f} s")
    print(f"slowest median {worst:.3f} s (target < 0.3 s): {'met' if worst < 0.3 else 'NOT met'}")
    for cmd in COMMANDS:
        top, heavy = _imports(cmd)
        print(f"\navbench {' '.join(cmd)}: numpy/scipy/plug-ins imported: {', '.join(heavy) or 'none'}")
        for us, name in top:
            print(f"  {us / 1000:8.1f} ms  {name.strip()}")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
