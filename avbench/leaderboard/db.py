"""The leaderboard database (SQLAlchemy Core: SQLite or PostgreSQL by URL).

Tables::

    teams        id, name (unique), token_hash (SHA-256 hex of the token, unique), created
    boards       id, name (unique), benchmark, task, split, reference (dataset root on the
                 server: the labels never leave it), primary (metric id), order (asc|desc),
                 daily_cap (submissions per team per 24 h), created
    submissions  id, board_id, team_id, created, status (queued|scoring|scored|failed), attempts,
                 error, system_name, system (JSON), sha256, filename, predictions (the file's bytes),
                 result (the full ``avbench evaluate --json`` report), primary_value, worker,
                 heartbeat, finished

A submission is inserted, with its predictions, in one transaction before anything scores it
(:func:`record_submission`, which also enforces the daily cap under a lock on the team row, so
concurrent uploads cannot exceed it). Workers claim a queued row by a conditional UPDATE
(:func:`claim`), keep a heartbeat while scoring, and write the result only while they still own
the row; a row whose heartbeat is older than the lease is requeued or, after ``max_attempts``,
marked failed with the reason (:func:`recover`). Nothing is lost when a worker dies.

Tokens are 32 random bytes (URL-safe base64); only their SHA-256 is stored. A token of that
entropy needs no slow hash: guessing one is as hard as finding a SHA-256 preimage.

Example:
    >>> hash_token("abc")[:16]
    'ba7816bf8f01cfea'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from avbench.errors import InputError

__all__ = ["Database", "hash_token", "new_token", "utcnow", "STATUSES"]

STATUSES = ("queued", "scoring", "scored", "failed")


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a team token (what the database stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh team token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def utcnow() -> dt.datetime:
    """Now, UTC, without tzinfo (stored the same way by SQLite and PostgreSQL)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _schema() -> Any:
    from avbench.extras import require

    sa = require("sqlalchemy", "server")
    md = sa.MetaData()
    teams = sa.Table(
        "teams", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    boards = sa.Table(
        "boards", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("benchmark", sa.String(100), nullable=False),
        sa.Column("task", sa.String(100), nullable=False),
        sa.Column("split", sa.String(100), nullable=False),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("primary", sa.String(100), nullable=False),
        sa.Column("order", sa.String(4), nullable=False),
        sa.Column("daily_cap", sa.Integer, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    subs = sa.Table(
        "submissions", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("board_id", sa.Integer, sa.ForeignKey("boards.id"), nullable=False, index=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False, index=True),
        sa.Column("created", sa.DateTime, nullable=False, index=True),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("error", sa.Text),
        sa.Column("system_name", sa.String(200), nullable=False),
        sa.Column("system", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("predictions", sa.LargeBinary, nullable=False),
        sa.Column("result", sa.Text),
        sa.Column("primary_value", sa.Float),
        sa.Column("worker", sa.String(100)),
        sa.Column("heartbeat", sa.DateTime),
        sa.Column("finished", sa.DateTime),
    )
    return sa, md, teams, boards, subs


class Database:
    """The leaderboard tables on one SQLAlchemy engine.

    Args:
        url: a SQLAlchemy URL (``sqlite:///lb.db``, ``postgresql+psycopg://user@host/db``).
    """

    def __init__(self, url: str) -> None:
        sa, self.md, self.teams, self.boards, self.subs = _schema()
        self.sa = sa
        self.url = url
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise InputError(f"--db {url!r} is not a database URL (e.g. sqlite:///lb.db)") from None
        self.sqlite = parsed.get_backend_name() == "sqlite"
        if self.sqlite:
            self.engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 60},
                                           pool_size=20, max_overflow=20)
            sa.event.listen(self.engine, "connect", _sqlite_connect)
            sa.event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = sa.create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
        try:
            self.md.create_all(self.engine)
        except sa.exc.OperationalError as exc:
            raise InputError(f"--db {parsed.render_as_string(hide_password=True)}: cannot open the database "
                             f"({str(exc.orig).strip().splitlines()[0]})") from None

    @contextmanager
    def tx(self) -> Iterator[Any]:
        """A connection inside one transaction (committed on success, rolled back on error)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(avbench_write=True)
            with conn.begin():
                yield conn

    # teams and boards -------------------------------------------------------------------
    def add_team(self, name: str) -> str:
        """Create team ``name``; returns its token (shown once; only the hash is kept)."""
        name = _name("team", name)
        token = new_token()
        with self.tx() as c:
            if c.execute(self.sa.select(self.teams.c.id).where(self.teams.c.name == name)).first():
                raise InputError(f"team {name!r} exists already; pick another name")
            c.execute(self.teams.insert().values(name=name, token_hash=hash_token(token), created=utcnow()))
        return token

    def team_for_token(self, token: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(self.sa.select(self.teams).where(self.teams.c.token_hash == hash_token(token))).first()
        return dict(row._mapping) if row else None

    def add_board(self, name: str, *, task: str, split: str, reference: str, primary: str | None = None,
                  order: str | None = None, daily_cap: int = 5) -> dict[str, Any]:
        """Create a board for ``task``/``split`` scored against the dataset root ``reference``."""
        from avbench import registry
        from avbench.leaderboard.render import default_order

        name = _name("board", name)
        t = registry.task(task)
        recipe = registry.dataset(t.dataset)
        from pathlib import Path

        recipe.require(Path(reference))
        recipe.splits(Path(reference))[split]  # an unknown split is an error here, not at scoring time
        metric_ids = [m.id for m in t.metrics]
        primary = primary or metric_ids[0]
        if primary not in metric_ids:
            raise InputError(f"--primary {primary!r} is not a metric of {task} ({', '.join(metric_ids)})")
        order = order or default_order(registry.metric(primary).primary or primary)
        if order not in ("asc", "desc"):
            raise InputError(f"--order must be asc or desc, got {order!r}")
        if daily_cap < 1:
            raise InputError(f"--daily-cap must be >= 1, got {daily_cap}")
        row = dict(name=name, benchmark=t.dataset, task=t.id, split=split, reference=str(Path(reference).resolve()),
                   primary=primary, order=order, daily_cap=daily_cap, created=utcnow())
        with self.tx() as c:
            if c.execute(self.sa.select(self.boards.c.id).where(self.boards.c.name == name)).first():
                raise InputError(f"board {name!r} exists already; pick another name")
            row["id"] = c.execute(self.boards.insert().values(**row)).inserted_primary_key[0]
        return row

    def boards_list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(self.sa.select(self.boards).order_by(self.boards.c.name))]

    def board(self, name: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(self.sa.select(self.boards).where(self.boards.c.name == name)).first()
        return dict(row._mapping) if row else None

    # submissions -------------------------------------------------------------------------
    def record_submission(self, *, board: dict[str, Any], team: dict[str, Any], system: dict[str, Any], sha256: str,
                          predictions: bytes, filename: str) -> int:
        """Insert a queued submission in one transaction, enforcing the board's daily cap.

        Raises:
            InputError: the team has used its daily submissions on this board.
        """
        sa, s = self.sa, self.subs
        now = utcnow()
        with self.tx() as c:
            # serialise this team's uploads (PostgreSQL row lock; SQLite: BEGIN IMMEDIATE already)
            c.execute(sa.select(self.teams.c.id).where(self.teams.c.id == team["id"]).with_for_update())
            used = c.execute(sa.select(sa.func.count()).select_from(s).where(
                s.c.board_id == board["id"], s.c.team_id == team["id"],
                s.c.created > now - dt.timedelta(days=1))).scalar_one()
            if used >= board["daily_cap"]:
                raise InputError(f"team {team['name']!r} has made {used} submissions to {board['name']!r} in the last "
                                 f"24 hours, the daily cap is {board['daily_cap']}; try again later")
            return int(c.execute(s.insert().values(
                board_id=board["id"], team_id=team["id"], created=now, status="queued", attempts=0,
                system_name=system["system_name"], system=json.dumps(system), sha256=sha256,
                filename=filename, predictions=predictions)).inserted_primary_key[0])

    def claim(self, worker: str) -> dict[str, Any] | None:
        """Take the oldest queued submission for ``worker`` (or ``None``): status scoring,
        attempts + 1, heartbeat now. Safe with several workers and several processes."""
        sa, s = self.sa, self.subs
        for _ in range(20):
            with self.engine.connect() as c:
                row = c.execute(sa.select(s.c.id).where(s.c.status == "queued").order_by(s.c.id).limit(1)).first()
            if row is None:
                return None
            with self.tx() as c:
                done = c.execute(s.update().where(s.c.id == row.id, s.c.status == "queued").values(
                    status="scoring", worker=worker, heartbeat=utcnow(), attempts=s.c.attempts + 1)).rowcount
            if done == 1:
                return self.submission(row.id, with_predictions=True)
        return None

    def heartbeat(self, sub_id: int, worker: str) -> bool:
        """Refresh the lease; ``False`` when the worker no longer owns the row."""
        s = self.subs
        with self.tx() as c:
            return c.execute(s.update().where(s.c.id == sub_id, s.c.worker == worker, s.c.status == "scoring")
                             .values(heartbeat=utcnow())).rowcount == 1

    def finish(self, sub_id: int, worker: str, *, result: dict[str, Any] | None = None, primary_value: float | None = None,
               error: str | None = None) -> bool:
        """Store the result (status scored) or the reason (status failed), if ``worker`` still owns it."""
        s = self.subs
        values: dict[str, Any] = {"finished": utcnow(), "worker": None}
        if error is None:
            values.update(status="scored", result=json.dumps(result, allow_nan=False), primary_value=primary_value,
                          error=None)
        else:
            values.update(status="failed", error=error[:2000])
        with self.tx() as c:
            return c.execute(s.update().where(s.c.id == sub_id, s.c.worker == worker, s.c.status == "scoring")
                             .values(**values)).rowcount == 1

    def recover(self, *, lease: float, max_attempts: int) -> tuple[int, int]:
        """Requeue submissions whose worker stopped (heartbeat older than ``lease`` seconds), or
        fail them after ``max_attempts``; returns ``(requeued, failed)``."""
        s = self.subs
        stale = utcnow() - dt.timedelta(seconds=lease)
        with self.tx() as c:
            failed = c.execute(s.update().where(s.c.status == "scoring", s.c.heartbeat < stale,
                                                s.c.attempts >= max_attempts).values(
                status="failed", worker=None, finished=utcnow(),
                error=f"the scoring worker stopped during scoring {max_attempts} times; the host has been told "
                      "(resubmit the same bundle later)")).rowcount
            requeued = c.execute(s.update().where(s.c.status == "scoring", s.c.heartbeat < stale,
                                                  s.c.attempts < max_attempts).values(
                status="queued", worker=None)).rowcount
        return requeued, failed

    def submission(self, sub_id: int, *, with_predictions: bool = False) -> dict[str, Any] | None:
        sa, s = self.sa, self.subs
        cols = [c for c in s.c if with_predictions or c.name != "predictions"]
        q = sa.select(*cols, self.teams.c.name.label("team"), self.boards.c.name.label("board")).join(
            self.teams, self.teams.c.id == s.c.team_id).join(self.boards, self.boards.c.id == s.c.board_id)
        with self.engine.connect() as c:
            row = c.execute(q.where(s.c.id == sub_id)).first()
        return _decode(dict(row._mapping)) if row else None

    def submissions(self, board_id: int | None = None, *, status: str | None = None) -> list[dict[str, Any]]:
        sa, s = self.sa, self.subs
        cols = [c for c in s.c if c.name != "predictions"]
        q = sa.select(*cols, self.teams.c.name.label("team"), self.boards.c.name.label("board")).join(
            self.teams, self.teams.c.id == s.c.team_id).join(self.boards, self.boards.c.id == s.c.board_id)
        if board_id is not None:
            q = q.where(s.c.board_id == board_id)
        if status is not None:
            q = q.where(s.c.status == status)
        with self.engine.connect() as c:
            return [_decode(dict(r._mapping)) for r in c.execute(q.order_by(s.c.id))]

    def close(self) -> None:
        self.engine.dispose()


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("system", "result"):
        if row.get(key) is not None:
            row[key] = json.loads(row[key])
    return row


def _name(what: str, name: str) -> str:
    import re

    if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", name):
        raise InputError(f"{what} name {name!r} must be 1-100 letters, digits, '_', '.' or '-' (starting with a "
                         "letter or digit)")
    return name


def _sqlite_begin(conn: Any) -> None:
    # writers take the write lock up front: a read-then-write transaction never fails on a stale snapshot
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("avbench_write") else "BEGIN")


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let the "begin" hook issue BEGIN IMMEDIATE
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
