"""Helpers of the leaderboard tests: a real server on 127.0.0.1 (uvicorn in a thread, or a child
process that can be killed), bundle building, and a throwaway PostgreSQL cluster."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from _submission_fixtures import META, make_predictions

from avbench.submission import build_bundle, check_meta


EVIL_NAME = "<script>document.body.setAttribute('data-pwned','1')</script>"
EVIL_DESC = "<img src=x onerror=\"document.body.setAttribute('data-pwned','2')\"> & \"quotes\""


def bundle(tmp: Path, root: Path, task: str = "synth-scene", *, noise: float = 0.0, seed: int = 0,
           name: str = "bundle.zip", **meta: Any) -> Path:
    """A bundle of oracle-with-noise predictions for ``task`` and META updated with ``meta``."""
    tmp.mkdir(parents=True, exist_ok=True)
    preds = tmp / f"{name}.preds.json"
    make_predictions(root, task, noise=noise, seed=seed).write(preds)
    out = tmp / name
    build_bundle(preds, check_meta({**META, **meta}, source="test", partial=True), out)
    return out


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(db_url: str, **app_kw: Any) -> Iterator[str]:
    """Run the leaderboard app on a loopback port in this process; yields its base URL."""
    import uvicorn

    from avbench.leaderboard.app import create_app

    app_kw.setdefault("poll", 0.05)
    app = create_app(db_url, **app_kw)
    sock = free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", limit_concurrency=1000,
                                           backlog=2048, timeout_keep_alive=5))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the leaderboard server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        app.state.db.close()
        sock.close()


def request(url: str, *, data: bytes | None = None, token: str | None = None, headers: dict[str, str] | None = None,
            method: str | None = None) -> tuple[int, dict[str, str], bytes]:
    hdrs = dict(headers or {})
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def upload(base: str, path: Path, token: str, **headers: str) -> tuple[int, dict[str, Any]]:
    status, _, body = request(f"{base}/api/submissions", data=path.read_bytes(), token=token,
                              headers={"Content-Type": "application/zip", "X-Avbench-Filename": path.name, **headers})
    return status, json.loads(body)


def wait_done(base: str, sub_id: int, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        _, _, body = request(f"{base}/api/submissions/{sub_id}")
        answer = json.loads(body)
        if answer["status"] in ("scored", "failed") or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


# a child-process server whose scoring can be made slow, to kill it mid-job --------------------
CHILD = r"""
import sys, time, pathlib
import uvicorn
from avbench.leaderboard import scoring
from avbench.leaderboard.app import create_app
real = scoring.score
def slow(sub, board):
    flag = pathlib.Path(sys.argv[3])
    while flag.exists():  # the test removes the flag to let scoring go on
        time.sleep(0.02)
    return real(sub, board)
scoring.score = slow
app = create_app(sys.argv[1], workers=1, lease=float(sys.argv[4]), max_attempts=int(sys.argv[5]), poll=0.05)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


@contextmanager
def child_server(db_url: str, flag: Path, *, lease: float = 0.5, max_attempts: int = 2) -> Iterator[tuple[str, Any]]:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, db_url, str(port), str(flag), str(lease), str(max_attempts)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/boards", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                proc.kill()
                raise RuntimeError(f"child server did not start: {out[-2000:]}") from None
            time.sleep(0.05)
    try:
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


# a throwaway PostgreSQL cluster ---------------------------------------------------------------
def _pg_bin() -> Path | None:
    for cand in [shutil.which("initdb"), *sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)]:
        if cand and Path(cand).exists():
            return Path(os.path.realpath(cand)).parent
    return None


@contextmanager
def postgres_cluster() -> Iterator[str | None]:
    """Start a PostgreSQL server in a temporary directory (as the 'postgres' user when running as
    root, which initdb refuses); yields a SQLAlchemy URL, or a reason string prefixed 'skip:'."""
    bindir = _pg_bin()
    if bindir is None:
        yield "skip: PostgreSQL (initdb) is not installed on this machine"
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        yield "skip: psycopg is not installed (the [test] extra has it)"
        return
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            yield "skip: running as root and there is no 'postgres' user to run initdb as"
            return
        run_as = ["runuser", "-u", "postgres", "--"]
    tmp = Path(tempfile.mkdtemp(prefix="avbench-pg-"))
    data = tmp / "data"
    if run_as:
        shutil.chown(tmp, "postgres", "postgres")
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    try:
        subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "avbench", "--auth=trust", "-E", "UTF8",
                        "--no-instructions"], check=True, capture_output=True, timeout=120)
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(tmp / "log"), "-o",
                        f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off",
                        "start"], check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(tmp, ignore_errors=True)
        yield f"skip: could not start a PostgreSQL cluster ({exc}; {err.decode(errors='replace')[-300:]})"
        return
    try:
        subprocess.run([*run_as, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "avbench", "lb"],
                       check=True, capture_output=True, timeout=60)
        yield f"postgresql+psycopg://avbench@127.0.0.1:{port}/lb"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)
