"""YouTube fan-out: sequential vs a thread pool vs a local Dask cluster, on a loopback server.

``N`` clips (default 200; 10 % of them 404s, the rest 1 s audio sections of a small real m4a/mp4
made with the imageio-ffmpeg binary) are fetched by :func:`avbench.download.youtube.fetch_youtube_clips`
through yt-dlp's generic extractor from a loopback HTTP server, into a fresh directory each time:

- ``sequential``: ``workers=1``;
- ``threads``: ``workers=8`` (``--workers``);
- ``dask``: ``executor="dask"`` on ``distributed.LocalCluster(n_workers=2, threads_per_worker=4,
  processes=True)``, started and warmed up (8 clips, so each worker process has imported yt-dlp)
  before the clock starts, as a long-lived cluster would be.

With ``--repeat R`` each of the three is timed R times, interleaved, and the best time is kept (the
machine may be shared).

``--latency`` (seconds, default 0.2) delays every HTTP response, a stand-in for the round trips to
YouTube that dominate real fetches; ``--latency 0`` measures the local CPU cost alone (yt-dlp's
Python work plus one or two ffmpeg processes per clip). Each run's manifest is checked (same
statuses for all three). Prints seconds, clips/s and the speed-ups over sequential.

Run: ``.venv/bin/python benchmarks/bench_youtube_fanout.py [--n 200] [--latency 0.2] [--workers 8] [--repeat 1]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _youtube_loopback import MediaServer, make_media  # noqa: E402

from avbench.download.manifest import read_manifest  # noqa: E402
from avbench.download.resource import YouTubeClip  # noqa: E402
from avbench.download.youtube import MANIFEST_NAME, fetch_youtube_clips  # noqa: E402


def clips_for(n: int) -> list[YouTubeClip]:
    out = []
    for i in range(n):
        vid = f"n404_{i:04d}" if i % 10 == 9 else (f"a_{i:04d}" if i % 2 else f"v_{i:04d}")
        out.append(YouTubeClip(f"clip{i:04d}", vid, 0.5, 1.5, "audio"))
    return out


def run(name: str, clips: list[YouTubeClip], srv: MediaServer, base: Path, **kw: object) -> tuple[float, dict]:
    out = base / name
    t0 = time.perf_counter()
    s = fetch_youtube_clips(clips, out, url_template=srv.template, quiet=True, **kw)
    dt = time.perf_counter() - t0
    statuses = {k: r.status for k, r in read_manifest(out / MANIFEST_NAME).items()}
    print(f"{name:>10}: {dt:7.2f} s  {len(clips) / dt:6.1f} clips/s  {s.line()}", flush=True)
    shutil.rmtree(out)
    return dt, statuses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip-sequential", action="store_true")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="avbench-bench-yt-"))
    try:
        media = make_media(base / "media")
        clips = clips_for(args.n)
        print(f"{args.n} clips, latency {args.latency} s per HTTP response, {os.cpu_count()} CPUs", flush=True)
        from distributed import LocalCluster

        with MediaServer(media) as srv, LocalCluster(n_workers=2, threads_per_worker=max(1, args.workers // 2),
                                                     processes=True, dashboard_address=":0") as cluster:  # fmt: skip
            srv.latency = args.latency
            dask_kw = {"executor": "dask", "scheduler": cluster.scheduler_address}
            run("warm-up", [YouTubeClip(f"w{i}", f"a_w{i}", 0.0, 1.0, "audio") for i in range(8)], srv, base, **dask_kw)
            runs = {"sequential": {"workers": 1}, "threads": {"workers": args.workers}, "dask": dask_kw}
            if args.skip_sequential:
                del runs["sequential"]
            times: dict[str, float] = {}
            results: dict[str, dict] = {}
            for _ in range(args.repeat):
                for name, kw in runs.items():
                    dt, results[name] = run(name, clips, srv, base, **kw)
                    times[name] = min(dt, times.get(name, dt))
        print(f"best of {args.repeat}: " + ", ".join(f"{k} {v:.2f} s" for k, v in times.items()))
        first = next(iter(results.values()))
        same = all(r == first for r in results.values())
        print(f"same statuses in every run: {same}")
        if "sequential" in times:
            for k in ("threads", "dask"):
                print(f"speed-up {k} / sequential: {times['sequential'] / times[k]:.2f}x")
        print(f"dask / threads time ratio: {times['dask'] / times['threads']:.2f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
