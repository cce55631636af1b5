"""Download throughput over loopback: avbench vs curl on one large file, concurrent vs sequential
on many small files. Prints the ratios, the machine's load and the CPU cost of both clients.

1. One large file (default 1 GiB, generated and streamed by the loopback server, which runs in
   its own process; never stored server-side) fetched by ``curl -s -f -o`` and by avbench
   (``fetch_resources`` with its sha256 verified while streaming, the lock, the validator record
   and the rename included). The two alternate for ``--repeat`` rounds (default 5; the first
   client of a round alternates too) and the median of each is kept. Ratio = curl median time /
   avbench median time (throughput ratio; target >= 0.9). CPU seconds per GiB: user+system time
   of the curl child (``RUSAGE_CHILDREN``) and of the avbench process (``time.process_time``,
   all its threads), each divided by the GiB fetched. The 1-, 5- and 15-minute load averages are
   printed before and after, since other work on the machine skews both clients.
2. ``--files`` small files (default 2,000 of 1-4 KiB) with ``--latency`` seconds added by the
   server to every answer (default 10 ms, a conservative stand-in for a real round trip; Zenodo
   is 50-150 ms away from most users), fetched with ``workers=1`` and with ``--workers``.
   Ratio = sequential time / concurrent time (target >= 5).

Usage: ``python benchmarks/bench_download.py [--size-mib 1024] [--repeat 5] [--files 2000] [--workers 32]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from loopback import LoopbackServer  # noqa: E402

from avbench.download import fetch_resources  # noqa: E402
from avbench.download.resource import HttpSource, Resource  # noqa: E402


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _serve_large(size: int, conn) -> None:  # type: ignore[no-untyped-def]
    """Child process: serve one generated file until terminated (its own interpreter and GIL)."""
    with LoopbackServer() as server:
        url, blob = server.add_generated("large.bin", size, seed=1)
        conn.send((url, blob.sha256()))
        conn.recv()  # wait for the parent to say it is done


@dataclass
class Large:
    """Median seconds and CPU seconds of each client over the rounds."""

    curl_s: float
    ours_s: float
    curl_cpu: float
    ours_cpu: float


def bench_large(size: int, repeat: int, work: Path) -> Large:
    """curl and avbench against the same server, which runs in a separate process so that neither
    client shares an interpreter (GIL) with it."""
    import multiprocessing as mp

    parent, child = mp.Pipe()
    proc = mp.get_context("fork").Process(target=_serve_large, args=(size, child), daemon=True)
    proc.start()
    try:
        url, sha = parent.recv()
        return _bench_large(url, sha, size, repeat, work)
    finally:
        parent.send("done")
        proc.join(timeout=10)


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _bench_large(url: str, sha: str, size: int, repeat: int, work: Path) -> Large:
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is not installed (apt-get install curl)")
    times: dict[str, list[float]] = {"curl": [], "ours": []}
    cpu: dict[str, list[float]] = {"curl": [], "ours": []}

    def run_curl() -> None:
        out = work / "curl.bin"
        c0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run([curl, "-s", "-f", "-o", str(out), url], check=True)
        times["curl"].append(time.perf_counter() - t0)
        cpu["curl"].append(_children_cpu() - c0)
        if out.stat().st_size != size:
            raise SystemExit("curl fetched a wrong size")
        out.unlink()

    def run_ours() -> None:
        root = work / "ours"
        res = Resource("large.bin", HttpSource(url), size=size, sha256=sha)
        c0, t0 = time.process_time(), time.perf_counter()
        fetch_resources([res], root, quiet=True, workers=1)
        times["ours"].append(time.perf_counter() - t0)
        cpu["ours"].append(time.process_time() - c0)
        shutil.rmtree(root)

    for i in range(repeat):
        for fn in ((run_curl, run_ours) if i % 2 == 0 else (run_ours, run_curl)):
            fn()
    med = statistics.median
    return Large(med(times["curl"]), med(times["ours"]), med(cpu["curl"]), med(cpu["ours"]))


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def bench_small(server: LoopbackServer, n: int, workers: int, latency: float, work: Path) -> tuple[float, float]:
    res = []
    for i in range(n):
        data = hashlib.sha256(str(i).encode()).digest() * (32 + i % 96)  # 1-4 KiB
        res.append(Resource(f"s/{i:05d}.bin", HttpSource(server.add_file(f"s{i}.bin", data)), size=len(data),
                            sha256=hashlib.sha256(data).hexdigest()))
    server.latency = latency
    try:
        seq = _timed(lambda: fetch_resources(res, work / "seq", quiet=True, workers=1))
        conc = _timed(lambda: fetch_resources(res, work / "conc", quiet=True, workers=workers))
    finally:
        server.latency = 0.0
    return seq, conc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=32)
    ap.add_argument("--latency", type=float, default=0.010)
    ap.add_argument("--dir", type=Path, default=None, help="scratch directory (default: a temp dir)")
    args = ap.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    work = Path(tempfile.mkdtemp(prefix="avbench-bench-", dir=args.dir))
    try:
        size = args.size_mib << 20
        print(f"before: {_load()}")
        r = bench_large(size, args.repeat, work)
        gib = size / 2**30
        with LoopbackServer() as server:
            print(f"large file {args.size_mib} MiB, median of {args.repeat} interleaved runs: "
                  f"curl {size / r.curl_s / 2**20:.0f} MiB/s ({r.curl_s:.2f} s), "
                  f"avbench+sha256 {size / r.ours_s / 2**20:.0f} MiB/s ({r.ours_s:.2f} s); "
                  f"throughput ratio avbench/curl = {r.curl_s / r.ours_s:.2f} (target >= 0.9)")
            print(f"CPU seconds per GiB: curl {r.curl_cpu / gib:.2f}, avbench+sha256 {r.ours_cpu / gib:.2f}")
            print(f"after: {_load()}")
            seq, conc = bench_small(server, args.files, args.workers, args.latency, work)
            print(f"{args.files} small files, {args.latency * 1000:.0f} ms server latency: sequential {seq:.2f} s, "
                  f"{args.workers} workers {conc:.2f} s; speed-up = {seq / conc:.1f}x (target >= 5)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
