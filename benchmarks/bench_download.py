"""Download throughput over loopback: avbench vs curl on one large file, concurrent vs sequential
on many small files. Prints the ratios.

1. One large file (default 1 GiB, generated and streamed by the loopback server, never stored
   server-side) fetched by ``curl -o`` and by avbench (``fetch_resources`` with its sha256
   verified while streaming). Ratio = curl time / avbench time (throughput ratio; target >= 0.9).
   Runs alternate and the best of ``--repeat`` is kept for each.
2. ``--files`` small files (default 2,000 of 1-4 KiB) with ``--latency`` seconds added by the
   server to every answer (default 10 ms, a conservative stand-in for a real round trip; Zenodo
   is 50-150 ms away from most users), fetched with ``workers=1`` and with ``--workers``.
   Ratio = sequential time / concurrent time (target >= 5).

Usage: ``python benchmarks/bench_download.py [--size-mib 1024] [--files 2000] [--workers 32]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
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


def bench_large(size: int, repeat: int, work: Path) -> tuple[float, float]:
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


def _bench_large(url: str, sha: str, size: int, repeat: int, work: Path) -> tuple[float, float]:
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is not installed (apt-get install curl)")
    best_curl = best_ours = float("inf")
    for _ in range(repeat):
        out = work / "curl.bin"
        best_curl = min(best_curl, _timed(lambda: subprocess.run([curl, "-s", "-f", "-o", str(out), url], check=True)))
        if out.stat().st_size != size:
            raise SystemExit("curl fetched a wrong size")
        out.unlink()
        root = work / "ours"
        res = Resource("large.bin", HttpSource(url), size=size, sha256=sha)
        best_ours = min(best_ours, _timed(lambda: fetch_resources([res], root, quiet=True, workers=1)))
        shutil.rmtree(root)
    return best_curl, best_ours


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
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=32)
    ap.add_argument("--latency", type=float, default=0.010)
    ap.add_argument("--dir", type=Path, default=None, help="scratch directory (default: a temp dir)")
    args = ap.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    work = Path(tempfile.mkdtemp(prefix="avbench-bench-", dir=args.dir))
    try:
        size = args.size_mib << 20
        t_curl, t_ours = bench_large(size, args.repeat, work)
        with LoopbackServer() as server:
            print(f"large file {args.size_mib} MiB: curl {size / t_curl / 2**20:.0f} MiB/s ({t_curl:.2f} s), "
                  f"avbench+sha256 {size / t_ours / 2**20:.0f} MiB/s ({t_ours:.2f} s); "
                  f"throughput ratio avbench/curl = {t_curl / t_ours:.2f} (target >= 0.9)")
            seq, conc = bench_small(server, args.files, args.workers, args.latency, work)
            print(f"{args.files} small files, {args.latency * 1000:.0f} ms server latency: sequential {seq:.2f} s, "
                  f"{args.workers} workers {conc:.2f} s; speed-up = {seq / conc:.1f}x (target >= 5)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
