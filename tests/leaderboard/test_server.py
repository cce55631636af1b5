"""The leaderboard server on 127.0.0.1 with a real database (SQLite, and PostgreSQL where the
machine has it): uploads scored with the code of ``avbench evaluate``, the CLI upload path, and
each refusal rule."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _lb_helpers import bundle, request, serve, upload, wait_done

from avbench.cli import main
from avbench.evaluation import evaluate_predictions
from avbench.leaderboard.db import Database
from avbench.submission import Limits, read_bundle, validate_bundle


def _setup(db_url: str, root: Path, *, cap: int = 5) -> tuple[Database, str, str]:
    db = Database(db_url)
    db.add_board("scene", task="synth-scene", split="test", reference=str(root), daily_cap=cap)
    db.add_board("sed", task="synth-sed", split="test", reference=str(root), daily_cap=cap)
    return db, db.add_team("alpha"), db.add_team("beta")


def test_upload_is_scored_by_the_evaluate_code(db_url: str, synth_root: Path, tmp_path: Path) -> None:
    db, alpha, _ = _setup(db_url, synth_root)
    b = bundle(tmp_path, synth_root, "synth-sed", noise=0.3)
    with serve(db_url) as base:
        status, answer = upload(base, b, alpha)
        assert status == 202 and answer["board"] == "sed"
        done = wait_done(base, answer["id"])
    assert done["status"] == "scored", done
    stored = db.submission(answer["id"])
    direct = evaluate_predictions(read_bundle(b).predictions, reference=synth_root).to_dict()
    assert stored["result"]["metrics"] == direct["metrics"]
    assert stored["result"]["strata"] == direct["strata"]
    assert stored["primary_value"] == direct["metrics"]["event_f1"]["overall"]["f1_macro"]
    assert done["scores"]["event_f1"] == direct["metrics"]["event_f1"]["overall"]
    assert stored["attempts"] == 1 and stored["team"] == "alpha"
    db.close()


def test_cli_submit_to_prints_scores(tmp_path: Path, synth_root: Path, meta_file: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    _, alpha, _ = _setup(url, synth_root)
    from _submission_fixtures import make_predictions

    preds = tmp_path / "p.json"
    make_predictions(synth_root, "synth-scene", noise=0.25).write(preds)
    with serve(url) as base:
        with pytest.raises(SystemExit) as exc:
            main(["submit", str(preds), "--meta", str(meta_file), "--out", str(tmp_path / "b.zip"), "--to", base,
                  "--token", alpha, "--data-dir", str(tmp_path / "nothing")])
        out, err = capsys.readouterr()
        assert exc.value.code == 0, err
        assert "submission 1 on scene: scored" in out and "accuracy" in out
        with pytest.raises(SystemExit) as exc:
            main(["submit", str(preds), "--meta", str(meta_file), "--out", str(tmp_path / "c.zip"), "--to", base,
                  "--token", "wrong", "--data-dir", str(tmp_path / "nothing")])
        out, err = capsys.readouterr()
        assert exc.value.code == 2 and "rejected by" in err and "unknown team token" in err and "\n" not in err.strip()


def test_tokens_are_stored_hashed_and_required(tmp_path: Path, synth_root: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    db, alpha, _ = _setup(url, synth_root)
    raw = b"".join(f.read_bytes() for f in tmp_path.glob("lb.db*"))  # the database and its WAL
    assert alpha.encode() not in raw and hashlib.sha256(alpha.encode()).hexdigest().encode() in raw
    b = bundle(tmp_path, synth_root)
    with serve(url) as base:
        assert upload(base, b, "")[0] == 401
        status, answer = upload(base, b, alpha[:-1] + ("x" if alpha[-1] != "x" else "y"))
        assert status == 401 and "unknown team token" in answer["error"]
        status, _, body = request(f"{base}/api/submissions", data=b.read_bytes())
        assert status == 401 and "missing team token" in json.loads(body)["error"]
    assert db.submissions() == []


def test_daily_cap_holds_under_concurrent_uploads(db_url: str, synth_root: Path, tmp_path: Path) -> None:
    db, alpha, beta = _setup(db_url, synth_root, cap=3)
    b = bundle(tmp_path, synth_root)
    with serve(db_url, workers=0) as base:
        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(lambda _: upload(base, b, alpha), range(12)))
        assert sorted(s for s, _ in results) == [202] * 3 + [429] * 9
        refusal = next(a for s, a in results if s == 429)["error"]
        assert "daily cap is 3" in refusal
        assert upload(base, b, beta)[0] == 202  # the cap is per team
    assert len(db.submissions()) == 4
    db.close()


def test_upload_size_limit(tmp_path: Path, synth_root: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    db, alpha, _ = _setup(url, synth_root)
    b = bundle(tmp_path, synth_root)
    size = b.stat().st_size
    with serve(url, max_upload=size - 1) as base:
        status, answer = upload(base, b, alpha)
        assert status == 413 and f"limit of {size - 1} bytes" in answer["error"]

        def chunks():  # no Content-Length: the limit is enforced while reading
            data = b.read_bytes()
            for i in range(0, len(data), 1000):
                yield data[i:i + 1000]

        import http.client

        conn = http.client.HTTPConnection(base.removeprefix("http://"))
        conn.request("POST", "/api/submissions", body=chunks(), headers={"Authorization": f"Bearer {alpha}"},
                     encode_chunked=True)
        resp = conn.getresponse()
        assert resp.status == 413
        conn.close()
    assert db.submissions() == []


def _zip(members: dict[str, bytes], declared: dict[str, int] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_unsafe_archives_are_refused_before_recording(tmp_path: Path, synth_root: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    db, alpha, _ = _setup(url, synth_root)
    good = bundle(tmp_path, synth_root)
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    traversal = tmp_path / "trav.zip"
    traversal.write_bytes(_zip({**members, "../../escape.txt": b"x"}))
    bomb = tmp_path / "bomb.zip"  # 64 MiB of zeros deflate to about 64 KB
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("submission.json"), members["submission.json"])
        with zf.open("predictions.json", "w") as fh:
            block = b"\0" * 2**20
            for _ in range(64):
                fh.write(block)
    assert bomb.stat().st_size < 2**20
    not_zip = tmp_path / "plain.zip"
    not_zip.write_bytes(b"{}")
    with serve(url, limits=Limits(max_unpacked=16 * 2**20)) as base:
        status, answer = upload(base, traversal, alpha)
        assert status == 400 and "refused" in answer["error"] and "escape.txt" in answer["error"]
        status, answer = upload(base, bomb, alpha)
        assert status == 400 and f"unpacks to {2**26 + len(members['submission.json'])} bytes" in answer["error"]
        status, answer = upload(base, not_zip, alpha)
        assert status == 400 and "not a zip archive" in answer["error"]
    assert not (tmp_path.parent / "escape.txt").exists() and not Path("/tmp/escape.txt").exists()
    assert db.submissions() == []


def test_schema_is_validated_before_scoring_with_the_offline_verdict(tmp_path: Path, synth_root: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    db, alpha, _ = _setup(url, synth_root)
    good = bundle(tmp_path, synth_root)
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    preds = json.loads(members["predictions.json"])
    first = next(iter(preds["clips"]))
    preds["clips"][first] = {"clip_scores": [0.5, 0.5]}  # 2 scores for 3 scenes
    data = json.dumps(preds).encode()
    manifest = json.loads(members["submission.json"])
    manifest["system"]["predictions_sha256"] = hashlib.sha256(data).hexdigest()
    bad = tmp_path / "bad.zip"
    bad.write_bytes(_zip({"submission.json": json.dumps(manifest).encode(), "predictions.json": data}))
    with pytest.raises(Exception) as offline:
        validate_bundle(bad, reference=synth_root)
    with serve(url) as base:
        status, answer = upload(base, bad, alpha)
    assert status == 400 and answer["error"] == str(offline.value)
    assert "clip_scores has shape 2, expected 3" in answer["error"]
    assert db.submissions() == []


def test_unknown_clip_fails_scoring_with_the_offline_verdict(tmp_path: Path, synth_root: Path) -> None:
    from _submission_fixtures import META, make_predictions

    from avbench.submission import build_bundle, check_meta

    url = f"sqlite:///{tmp_path / 'lb.db'}"
    db, alpha, _ = _setup(url, synth_root)
    p = make_predictions(synth_root, "synth-scene")
    p.add("not-a-clip", clip_scores=[1.0, 0.0, 0.0])
    p.write(tmp_path / "p.json")
    b = tmp_path / "unknown.zip"
    build_bundle(tmp_path / "p.json", check_meta(META, source="m", partial=True), b)
    with pytest.raises(Exception) as offline:
        validate_bundle(b, reference=synth_root)
    with serve(url) as base:
        status, answer = upload(base, b, alpha)
        assert status == 202
        done = wait_done(base, answer["id"])
    assert done["status"] == "failed" and done["error"] == str(offline.value)


def test_board_selection(tmp_path: Path, synth_root: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    db, alpha, _ = _setup(url, synth_root)
    b = bundle(tmp_path, synth_root, "synth-ave")
    scene = bundle(tmp_path / "s", synth_root, "synth-scene")
    with serve(url) as base:
        status, answer = upload(base, b, alpha)
        assert status == 404 and "no board scores synth/synth-ave/test" in answer["error"]
        status, _, body = request(f"{base}/api/submissions?board=sed", data=scene.read_bytes(), token=alpha)
        assert status == 400 and "board 'sed' scores synth/synth-sed/test" in json.loads(body)["error"]
    assert db.submissions() == []


def test_setup_errors_are_one_line(tmp_path: Path, synth_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    for argv, message in [
        (["add-board", "--db", url, "x", "--task", "synth-scene", "--split", "nope", "--reference", str(synth_root)],
         "no split 'nope'"),
        (["add-board", "--db", url, "x", "--task", "synth-scene", "--split", "test", "--reference", str(synth_root),
          "--primary", "psds1"], "--primary 'psds1' is not a metric of synth-scene"),
        (["add-team", "--db", url, "bad name!"], "team name 'bad name!' must be"),
        (["add-team", "--db", "nonsense", "t"], "is not a database URL"),
    ]:
        with pytest.raises(SystemExit) as exc:
            main(["leaderboard", *argv])
        err = capsys.readouterr().err.strip()
        assert exc.value.code == 2 and message in err and "\n" not in err, err


@pytest.mark.slow
def test_cli_serve_with_a_separate_worker_process(tmp_path: Path, synth_root: Path) -> None:
    import subprocess
    import sys
    import time
    import urllib.request

    from _lb_helpers import free_socket

    url = f"sqlite:///{tmp_path / 'lb.db'}"
    db, alpha, _ = _setup(url, synth_root)
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    cli = [sys.executable, "-m", "avbench", "leaderboard"]
    server = subprocess.Popen([*cli, "serve", "--db", url, "--port", str(port), "--workers", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    worker = None
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/boards", timeout=1).read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read().decode()
                time.sleep(0.05)
        status, answer = upload(base, bundle(tmp_path, synth_root), alpha)
        assert status == 202
        time.sleep(0.5)
        assert db.submission(answer["id"])["status"] == "queued"  # no scoring thread in the server
        worker = subprocess.Popen([*cli, "worker", "--db", url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        done = wait_done(base, answer["id"])
        assert done["status"] == "scored" and db.submission(answer["id"])["worker"] is None
    finally:
        for proc in (server, worker):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    db.close()
