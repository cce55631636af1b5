"""``avbench leaderboard``: run a leaderboard server, add boards and teams, render a static site,
export a Codabench competition bundle.

Starlette, uvicorn and SQLAlchemy (the ``[server]`` extra) are imported inside the commands, so
``avbench --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["COMMANDS"]

_DB = click.option("--db", "db_url", required=True, envvar="AVBENCH_LEADERBOARD_DB",
                   help="SQLAlchemy database URL: sqlite:///lb.db or postgresql+psycopg://user@host/db "
                        "(or $AVBENCH_LEADERBOARD_DB).")


@click.group("leaderboard")
def leaderboard_cmd() -> None:
    """Host a leaderboard scored with the code of `avbench evaluate`.

    \b
    Set up and run:
      avbench leaderboard add-board --db sqlite:///lb.db synth-scene --task synth-scene --split test \\
          --reference /data/avbench/synth
      avbench leaderboard add-team --db sqlite:///lb.db my-team        # prints the team token once
      avbench leaderboard serve --db sqlite:///lb.db --port 8000
      avbench leaderboard render --db sqlite:///lb.db --out site/
    """


@leaderboard_cmd.command("add-board")
@_DB
@click.argument("name")
@click.option("--task", required=True, help="Task id (`avbench list tasks`).")
@click.option("--split", required=True, help="The split the board scores (e.g. test).")
@click.option("--reference", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The dataset root on this server with the (hidden) reference labels.")
@click.option("--primary", help="Metric id that ranks the board (default: the task's first metric).")
@click.option("--order", type=click.Choice(["asc", "desc"]), help="asc when lower is better (default: by metric).")
@click.option("--daily-cap", type=int, default=5, show_default=True, help="Submissions per team per 24 hours.")
def add_board_cmd(db_url: str, name: str, task: str, split: str, reference: Path, primary: str | None,
                  order: str | None, daily_cap: int) -> None:
    """Create board NAME for a task and split, scored against --reference."""
    from avbench.leaderboard.db import Database

    db = Database(db_url)
    board = db.add_board(name, task=task, split=split, reference=str(reference), primary=primary, order=order,
                         daily_cap=daily_cap)
    click.echo(f"board {board['name']}: {board['benchmark']}/{board['task']}/{board['split']}, ranked by "
               f"{board['primary']} ({board['order']}), {board['daily_cap']} submissions per team per day")


@leaderboard_cmd.command("add-team")
@_DB
@click.argument("name")
def add_team_cmd(db_url: str, name: str) -> None:
    """Create team NAME and print its token (only its SHA-256 is stored: keep it)."""
    from avbench.leaderboard.db import Database

    token = Database(db_url).add_team(name)
    click.echo(token)


@leaderboard_cmd.command("serve")
@_DB
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, default=2, show_default=True, help="Scoring threads in this process (0: none).")
@click.option("--max-upload-mb", type=float, default=50.0, show_default=True, help="Largest accepted upload.")
@click.option("--lease", type=float, default=30.0, show_default=True,
              help="Seconds without a heartbeat after which a scoring job is taken over.")
@click.option("--max-attempts", type=int, default=3, show_default=True,
              help="Times a submission is tried before it is marked failed.")
def serve_cmd(db_url: str, host: str, port: int, workers: int, max_upload_mb: float, lease: float,
              max_attempts: int) -> None:
    """Serve the boards (web pages and the upload API) and score submissions."""
    from avbench.extras import require
    from avbench.leaderboard.app import create_app

    uvicorn = require("uvicorn", "server")
    app = create_app(db_url, workers=workers, max_upload=int(max_upload_mb * 2**20), lease=lease,
                     max_attempts=max_attempts)
    click.echo(f"avbench leaderboard on http://{host}:{port}/ ({workers} scoring workers)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@leaderboard_cmd.command("worker")
@_DB
@click.option("--lease", type=float, default=30.0, show_default=True)
@click.option("--max-attempts", type=int, default=3, show_default=True)
def worker_cmd(db_url: str, lease: float, max_attempts: int) -> None:
    """Score queued submissions in this process until interrupted (beside `serve --workers 0`)."""
    import os
    import threading

    from avbench.leaderboard.db import Database
    from avbench.leaderboard.scoring import Worker

    stop = threading.Event()
    try:
        Worker(Database(db_url), name=f"{os.getpid()}-w", lease=lease, max_attempts=max_attempts).run(stop)
    except KeyboardInterrupt:
        stop.set()


@leaderboard_cmd.command("render")
@_DB
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Site directory.")
def render_cmd(db_url: str, out: Path) -> None:
    """Write every board and submission page as a static site (index.html, boards/, submissions/)."""
    from avbench.leaderboard.db import Database
    from avbench.leaderboard.render import render_site

    files = render_site(Database(db_url), out)
    click.echo(f"{len(files)} files written to {out}/ (open {out / 'index.html'})")



@leaderboard_cmd.command("export-codabench")
@click.argument("task")
@click.option("--split", required=True, help="The split the competition scores.")
@click.option("--reference", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The dataset root with the reference labels (copied into the bundle).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Bundle directory.")
@click.option("--primary", help="Ranking metric id (default: the task's first metric).")
@click.option("--title", help="Competition title.")
@click.option("--docker-image", default="avbench/avbench:latest", show_default=True,
              help="Docker image of the scoring program (it must have avbench installed).")
@click.option("--daily-cap", type=int, default=5, show_default=True, help="max_submissions_per_day.")
def export_codabench_cmd(task: str, split: str, reference: Path, out: Path, primary: str | None, title: str | None,
                         docker_image: str, daily_cap: int) -> None:
    """Write a Codabench competition bundle for TASK whose scoring program calls avbench."""
    from avbench.leaderboard.codabench import export_codabench

    files = export_codabench(task, split=split, reference=reference, out=out, primary=primary, title=title,
                             docker_image=docker_image, daily_cap=daily_cap)
    click.echo(f"Codabench bundle {out}/: {len(files)} files (zip its contents to upload)")


COMMANDS = [leaderboard_cmd]
