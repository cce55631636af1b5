"""Reliability: a submission is recorded before scoring; a scoring process killed mid-job leaves
it requeued and scored by the next worker, or failed with the reason after its attempts; and 200
concurrent uploads on loopback are all recorded and scored."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _lb_helpers import bundle, child_server, serve, upload, wait_done

from avbench.leaderboard.db import Database


def _wait_status(db: Database, sub_id: int, status: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        sub = db.submission(sub_id)
        if sub["status"] == status or time.monotonic() > deadline:
            return sub
        time.sleep(0.02)


@pytest.mark.slow
def test_worker_killed_mid_job_is_retried_then_scored(db_url: str, synth_root: Path, tmp_path: Path) -> None:
    db = Database(db_url)
    db.add_board("scene", task="synth-scene", split="test", reference=str(synth_root))
    token = db.add_team("alpha")
    b = bundle(tmp_path, synth_root, noise=0.2)
    flag = tmp_path / "hold"
    flag.touch()  # scoring waits while the flag exists
    with child_server(db_url, flag, max_attempts=2) as (base, proc):
        status, answer = upload(base, b, token)
        assert status == 202
        sub = _wait_status(db, answer["id"], "scoring")
        assert sub["status"] == "scoring" and sub["attempts"] == 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert db.submission(answer["id"])["status"] == "scoring"  # recorded, owned by a dead worker
    flag.unlink()
    with child_server(db_url, flag, max_attempts=2) as (base, _):
        done = wait_done(base, answer["id"])
    assert done["status"] == "scored" and done["attempts"] == 2 and done["scores"]["accuracy"]
    db.close()


@pytest.mark.slow
def test_worker_killed_on_every_attempt_fails_with_the_reason(tmp_path: Path, synth_root: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    db = Database(url)
    db.add_board("scene", task="synth-scene", split="test", reference=str(synth_root))
    token = db.add_team("alpha")
    b = bundle(tmp_path, synth_root)
    flag = tmp_path / "hold"
    flag.touch()
    sub_id = None
    for attempt in (1, 2):
        with child_server(url, flag, max_attempts=2) as (base, proc):
            if sub_id is None:
                sub_id = upload(base, b, token)[1]["id"]
            deadline = time.monotonic() + 30
            while db.submission(sub_id)["attempts"] < attempt and time.monotonic() < deadline:
                time.sleep(0.02)
            assert db.submission(sub_id)["status"] == "scoring"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
    with child_server(url, flag, max_attempts=2) as (base, _):
        done = wait_done(base, sub_id)
    assert done["status"] == "failed" and "stopped during scoring 2 times" in done["error"]
    assert len(db.submissions()) == 1
    db.close()


@pytest.mark.slow
def test_200_concurrent_submissions_are_all_recorded_and_scored(tmp_path: Path, synth_root: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    db = Database(url)
    db.add_board("scene", task="synth-scene", split="test", reference=str(synth_root), daily_cap=1000)
    tokens = [db.add_team(f"team{i}") for i in range(10)]
    bundles = [bundle(tmp_path / str(i), synth_root, noise=i / 20, seed=i) for i in range(20)]
    with serve(url, workers=4) as base:
        gate = threading.Barrier(200)

        def one(i: int) -> tuple[int, dict]:
            gate.wait()  # all 200 clients upload at the same moment
            return upload(base, bundles[i % 20], tokens[i % 10])

        with ThreadPoolExecutor(200) as pool:
            results = list(pool.map(one, range(200)))
        assert [s for s, _ in results] == [202] * 200
        ids = [a["id"] for _, a in results]
        assert len(set(ids)) == 200
        done = [wait_done(base, i, timeout=120) for i in ids]
    assert [d["status"] for d in done] == ["scored"] * 200
    subs = db.submissions()
    assert len(subs) == 200 and all(s["result"]["metrics"]["accuracy"] for s in subs)
    # same bundle, same score
    by_bundle = {}
    for i, d in zip(range(200), done):
        by_bundle.setdefault(i % 20, set()).add(d["primary_value"])
    assert all(len(v) == 1 for v in by_bundle.values())
    db.close()
