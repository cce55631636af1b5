"""The leaderboard server: ``avbench leaderboard serve --db sqlite:///lb.db`` (extra ``[server]``).

A Starlette application (run by uvicorn) over :class:`avbench.leaderboard.db.Database`, with
scoring worker threads (:class:`avbench.leaderboard.scoring.Worker`) in the same process; more
workers can run as separate processes (``avbench leaderboard worker``) on the same database.

Routes::

    GET  /                         the boards                                     (HTML)
    GET  /boards/{name}            one board: the sortable table                  (HTML)
    GET  /submissions/{id}         one submission: class-wise results and plots   (HTML)
    GET  /static/lb.js, lb.css     the table script and the style sheet
    GET  /api/boards               boards                                         (JSON)
    GET  /api/boards/{name}        a board's ranked rows                          (JSON)
    POST /api/submissions          upload a bundle (Authorization: Bearer TOKEN)  (JSON)
    GET  /api/submissions/{id}     status, scores or the reason it failed         (JSON)

An upload is refused before it is recorded when the token is missing or unknown (401), the body
is larger than ``max_upload`` bytes (413; checked from ``Content-Length`` and again while
reading), the bundle does not pass :func:`avbench.submission.read_bundle` (400, the one-line reason
``avbench validate`` gives), no board takes its task and split (404), or the team used its daily
cap (429). An accepted upload is recorded in one transaction (202) and scored by a worker.
HTML responses carry a ``Content-Security-Policy`` that forbids inline scripts and styles.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import AsyncIterator
from typing import Any

from avbench.errors import InputError
from avbench.leaderboard.db import Database
from avbench.leaderboard.render import STATIC, Links, board_page, board_rows, columns, index_page, submission_page
from avbench.leaderboard.scoring import Worker
from avbench.submission.bundle import Limits, read_bundle

__all__ = ["create_app", "CSP"]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")
_HTML_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def _filename(raw: str | None) -> str:
    base = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base)[:100].lstrip(".")
    return base or "upload.zip"


def create_app(db: Database | str, *, workers: int = 2, max_upload: int = 50 * 2**20, limits: Limits = Limits(),
               lease: float = 30.0, max_attempts: int = 3, poll: float = 0.5) -> Any:
    """The Starlette application.

    Args:
        db: a :class:`Database` or its URL.
        workers: scoring threads started with the application (0: scoring runs elsewhere).
        max_upload: the largest accepted upload in bytes.
        limits: unpacked-size and member-count limits of a bundle.
        lease: seconds without heartbeat after which a claimed job is requeued.
        max_attempts: claims of one submission before it is failed.
        poll: idle seconds between queue looks.
    """
    from avbench.extras import require

    require("starlette", "server")
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    database = db if isinstance(db, Database) else Database(db)
    wake = threading.Event()
    stop = threading.Event()

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def html(text: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(text, status_code=status, headers=_HTML_HEADERS)

    def not_found(what: str) -> HTMLResponse:
        from avbench.leaderboard.render import _page, esc

        return html(_page("not found", f"<h1>not found</h1><p>{esc(what)}</p>", Links()), 404)

    async def index(request: Request) -> Response:
        boards = await run_in_threadpool(database.boards_list)
        subs = await run_in_threadpool(database.submissions, status="scored")
        counts: dict[int, int] = {}
        for s in subs:
            counts[s["board_id"]] = counts.get(s["board_id"], 0) + 1
        return html(index_page(boards, counts, Links()))

    async def board_html(request: Request) -> Response:
        board = await run_in_threadpool(database.board, request.path_params["name"])
        if board is None:
            return not_found(f"no board {request.path_params['name']!r}")
        subs = await run_in_threadpool(database.submissions, board["id"])
        return html(board_page(board, subs, Links()))

    async def submission_html(request: Request) -> Response:
        sub = await run_in_threadpool(database.submission, request.path_params["id"])
        if sub is None:
            return not_found(f"no submission {request.path_params['id']}")
        board = await run_in_threadpool(database.board, sub["board"])
        return html(submission_page(sub, board, Links()))

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", status_code=404, media_type="text/plain")
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        return Response(STATIC[name], media_type=kind, headers={"X-Content-Type-Options": "nosniff"})

    async def api_boards(request: Request) -> Response:
        boards = await run_in_threadpool(database.boards_list)
        return JSONResponse([{k: b[k] for k in ("name", "benchmark", "task", "split", "primary", "order", "daily_cap")}
                             for b in boards])

    async def api_board(request: Request) -> Response:
        board = await run_in_threadpool(database.board, request.path_params["name"])
        if board is None:
            return error(404, f"no board {request.path_params['name']!r}")
        subs = await run_in_threadpool(database.submissions, board["id"])
        return JSONResponse({"board": board["name"], "columns": [c[0] for c in columns(board)],
                             "rows": board_rows(board, subs)})

    async def api_submission(request: Request) -> Response:
        sub = await run_in_threadpool(database.submission, request.path_params["id"])
        if sub is None:
            return error(404, f"no submission {request.path_params['id']}")
        return JSONResponse(_public(sub))

    async def upload(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            return error(401, "missing team token: send 'Authorization: Bearer <token>' (avbench submit --token)")
        team = await run_in_threadpool(database.team_for_token, token)
        if team is None:
            return error(401, "unknown team token; ask the host for your team's token")
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_upload):
            return error(413, f"upload of {length} bytes is over the limit of {max_upload} bytes")
        name = _filename(request.headers.get("x-avbench-filename"))
        fd, tmp = tempfile.mkstemp(prefix="avbench-upload-", suffix=".zip")
        try:
            size = 0
            with os.fdopen(fd, "wb") as fh:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > max_upload:
                        return error(413, f"upload is over the limit of {max_upload} bytes")
                    fh.write(chunk)
            try:
                bundle = await run_in_threadpool(read_bundle, tmp, name=name, limits=limits)
            except InputError as exc:
                return error(400, str(exc))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        preds = bundle.predictions
        wanted = request.query_params.get("board")
        if wanted:
            board = await run_in_threadpool(database.board, wanted)
            if board is None:
                return error(404, f"no board {wanted!r} on this server")
        else:
            boards = await run_in_threadpool(database.boards_list)
            board = next((b for b in boards if (b["benchmark"], b["task"], b["split"]) ==
                          (preds.benchmark, preds.task, preds.split)), None)
            if board is None:
                return error(404, f"{name}: no board scores {preds.benchmark}/{preds.task}/{preds.split} on this "
                                  f"server; boards: {', '.join(b['name'] for b in boards) or 'none'}")
        if (board["benchmark"], board["task"], board["split"]) != (preds.benchmark, preds.task, preds.split):
            return error(400, f"{name}: predictions are for {preds.benchmark}/{preds.task}/{preds.split}, board "
                              f"{board['name']!r} scores {board['benchmark']}/{board['task']}/{board['split']}")
        try:
            sub_id = await run_in_threadpool(database.record_submission, board=board, team=team, system=bundle.system,
                                             sha256=bundle.sha256, predictions=bundle.data, filename=name)
        except InputError as exc:
            return error(429, str(exc))
        wake.set()
        return JSONResponse({"id": sub_id, "status": "queued", "board": board["name"],
                             "url": f"/api/submissions/{sub_id}"}, status_code=202)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        threads = []
        for i in range(workers):
            worker = Worker(database, name=f"{os.getpid()}-{i}", lease=lease, max_attempts=max_attempts, poll=poll,
                            wake=wake)
            t = threading.Thread(target=worker.run, args=(stop,), name=f"avbench-scorer-{i}", daemon=True)
            t.start()
            threads.append(t)
        try:
            yield
        finally:
            stop.set()
            wake.set()
            for t in threads:
                t.join(timeout=30)

    routes = [
        Route("/", index), Route("/boards/{name}", board_html), Route("/submissions/{id:int}", submission_html),
        Route("/static/{name}", static), Route("/api/boards", api_boards), Route("/api/boards/{name}", api_board),
        Route("/api/submissions", upload, methods=["POST"]), Route("/api/submissions/{id:int}", api_submission),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.db = database
    return app


def _public(sub: dict[str, Any]) -> dict[str, Any]:
    report = sub.get("result") or {}
    return {
        "id": sub["id"], "board": sub["board"], "team": sub["team"], "status": sub["status"],
        "created": sub["created"].isoformat() if hasattr(sub["created"], "isoformat") else sub["created"],
        "system_name": sub["system_name"], "attempts": sub["attempts"], "error": sub.get("error"),
        "primary_value": sub.get("primary_value"),
        "scores": {mid: res.get("overall") for mid, res in (report.get("metrics") or {}).items()},
        "coverage": report.get("coverage"), "url": f"/submissions/{sub['id']}",
    }
