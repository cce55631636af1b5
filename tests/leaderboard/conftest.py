"""Fixtures of the leaderboard tests: the synth benchmark and bundles (tests/_submission_fixtures.py,
tests/_lb_helpers.py), a throwaway PostgreSQL cluster, a database URL per backend, and a populated
server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _lb_helpers import EVIL_DESC, EVIL_NAME, bundle, serve, upload, wait_done
from _submission_fixtures import META, make_predictions, meta_file, synth_root  # noqa: F401

from avbench.leaderboard.db import Database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL of a throwaway PostgreSQL cluster (skips with the reason where there is none)."""
    from _lb_helpers import postgres_cluster

    with postgres_cluster() as url:
        if url is None or url.startswith("skip:"):
            pytest.skip(url[5:].strip() if url else "no PostgreSQL")
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh leaderboard database: SQLite in tmp_path, or a fresh database in the PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lb.db'}"
    base = request.getfixturevalue("postgres_url")
    import sqlalchemy as sa

    name = f"lb_{abs(hash(request.node.nodeid)) % 10**9}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        c.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture()
def populated(tmp_path: Path, synth_root: Path):
    """A server with a scene board holding three scored submissions (one with a hostile
    description) and one failed one; yields ``(base URL, db, {system name: submission id})``."""
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    db = Database(url)
    db.add_board("scene", task="synth-scene", split="test", reference=str(synth_root), daily_cap=10)
    db.add_board("sed", task="synth-sed", split="test", reference=str(synth_root))
    alpha, beta = db.add_team("alpha"), db.add_team("beta")
    ids = {}
    with serve(url) as base:
        for i, (name, noise, token, extra) in enumerate([
            ("Good system", 0.0, alpha, {}), ("Noisy system", 0.5, beta, {}),
            (EVIL_NAME, 0.25, beta, {"description": EVIL_DESC}),
        ]):
            b = bundle(tmp_path / f"b{i}", synth_root, noise=noise, seed=3, system_name=name, **extra)
            status, answer = upload(base, b, token)
            assert status == 202, answer
            assert wait_done(base, answer["id"])["status"] == "scored"
            ids[name] = answer["id"]
        yield base, db, ids
    db.close()
