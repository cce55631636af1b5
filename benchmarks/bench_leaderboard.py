"""Leaderboard server: upload-to-score latency under concurrent submissions.

Generates the tiny synth benchmark in a temporary directory, starts ``avbench leaderboard`` (the
Starlette app under uvicorn, in this process, on 127.0.0.1) on a fresh SQLite or PostgreSQL
database with a ``synth-scene`` board, and uploads ``--n`` bundles (20 different systems) from
``--concurrency`` client threads at once. Each client times from the start of its POST until it
sees its submission scored (polling every 10 ms). Printed:

- p50 / p95 / max of the client-side upload-to-score latency, and of the server-side
  recorded-to-scored time (``created`` to ``finished`` in the database);
- throughput (submissions scored per second of wall time);
- for scale, the time of ``evaluate_predictions`` alone on one bundle in this process (best of 5, warm) (the same
  code the workers call): latency / bare scoring time is the overhead ratio of queueing, HTTP,
  unpacking, validation and the database. No peer leaderboard runs on one machine (EvalAI and
  Codabench are multi-service stacks), so the bare evaluation is the reference.

Run: ``.venv/bin/python benchmarks/bench_leaderboard.py [--n 200] [--concurrency 50] [--workers 4]
[--db URL]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def _bundles(root: Path, tmp: Path, n: int) -> list[Path]:
    from avbench import registry
    from avbench.predictions import Predictions
    from avbench.submission import build_bundle, check_meta

    task = registry.task("synth-scene")
    clips = registry.dataset("synth").reference(root, task, "test")
    meta = {"system_name": "bench", "authors": [{"name": "A B", "email": "a@b.org", "corresponding": True}],
            "contact": "a@b.org", "description": "benchmark system", "code_url": None,
            "training_data": ["synth/train"], "external_data": [], "parameters": 1}
    out = []
    for i in range(n):
        rng = random.Random(i)
        p = Predictions("synth", task.id, "test")
        for cid, clip in clips.items():
            k = task.labels.index(clip.clip_labels[0])
            if rng.random() < i / (2 * n):
                k = (k + 1) % len(task.labels)
            scores = [0.05] * len(task.labels)
            scores[k] = 1 - 0.05 * (len(task.labels) - 1)
            p.add(cid, clip_scores=scores)
        p.write(tmp / f"p{i}.json")
        build_bundle(tmp / f"p{i}.json", check_meta({**meta, "system_name": f"bench-{i}"}, source="m", partial=True),
                     tmp / f"b{i}.zip")
        out.append(tmp / f"b{i}.zip")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--db", help="database URL (default: SQLite in the temporary directory)")
    args = ap.parse_args()

    import uvicorn

    from avbench.evaluation import evaluate_predictions
    from avbench.leaderboard.app import create_app
    from avbench.leaderboard.db import Database
    from avbench.recipes.synth import RECIPE
    from avbench.submission import read_bundle

    with tempfile.TemporaryDirectory(prefix="avbench-bench-lb-") as tmpdir:
        tmp = Path(tmpdir)
        root = tmp / "synth"
        RECIPE.prepare(root, size="tiny", quiet=True)
        bundles = _bundles(root, tmp, 20)
        preds = read_bundle(bundles[0]).predictions
        evaluate_predictions(preds, reference=root)  # warm: imports, metric registry
        bare = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            evaluate_predictions(preds, reference=root)
            bare = min(bare, time.perf_counter() - t0)

        url = args.db or f"sqlite:///{tmp / 'lb.db'}"
        db = Database(url)
        db.add_board("scene", task="synth-scene", split="test", reference=str(root), daily_cap=10**6)
        tokens = [db.add_team(f"team{i}") for i in range(10)]
        app = create_app(db, workers=args.workers, poll=0.05)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", backlog=4096, limit_concurrency=4096))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"

        def one(i: int) -> tuple[float, int]:
            b = bundles[i % len(bundles)]
            start = time.perf_counter()
            req = urllib.request.Request(f"{base}/api/submissions", data=b.read_bytes(), method="POST", headers={
                "Authorization": f"Bearer {tokens[i % len(tokens)]}", "X-Avbench-Filename": b.name})
            with urllib.request.urlopen(req, timeout=120) as resp:
                sub_id = json.load(resp)["id"]
            while True:
                with urllib.request.urlopen(f"{base}/api/submissions/{sub_id}", timeout=120) as resp:
                    status = json.load(resp)["status"]
                if status in ("scored", "failed"):
                    if status != "scored":
                        raise RuntimeError(f"submission {sub_id} {status}")
                    return time.perf_counter() - start, sub_id
                time.sleep(0.01)

        wall0 = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(one, range(args.n)))
        wall = time.perf_counter() - wall0
        server.should_exit = True
        thread.join(timeout=30)
        lat = [r[0] for r in results]
        subs = db.submissions()
        server_side = [(s["finished"] - s["created"]).total_seconds() for s in subs]
        db.close()
    scored = sum(1 for s in subs if s["status"] == "scored")
    print(f"leaderboard: {args.n} uploads, {args.concurrency} concurrent clients, {args.workers} scoring workers, "
          f"{url.split(':', 1)[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"  recorded {len(subs)}, scored {scored}")
    print(f"  upload-to-score (client)   p50 {statistics.median(lat) * 1000:8.1f} ms   p95 {_pct(lat, 0.95) * 1000:8.1f} ms"
          f"   max {max(lat) * 1000:8.1f} ms")
    print(f"  recorded-to-scored (db)    p50 {statistics.median(server_side) * 1000:8.1f} ms   "
          f"p95 {_pct(server_side, 0.95) * 1000:8.1f} ms")
    print(f"  throughput {scored / wall:.1f} submissions/s; bare evaluate_predictions {bare * 1000:.1f} ms; "
          f"p50 latency / bare scoring = {statistics.median(lat) / bare:.1f}x")


if __name__ == "__main__":
    main()
