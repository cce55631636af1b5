"""Fixtures: see tests/_submission_fixtures.py."""

from _submission_fixtures import META, make_predictions, meta_file, synth_root  # noqa: F401

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


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
