"""The Dask executor: generic map on a local cluster, and the YouTube fan-out through it."""

from __future__ import annotations

from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from avbench.download.dask_executor import chunk_size_for, map_unordered  # noqa: E402
from avbench.errors import DownloadError, InputError  # noqa: E402


def _fail_on_seven(x: int) -> int:
    if x == 7:
        raise RuntimeError("seven")
    return x * x


@pytest.fixture(scope="module")
def threaded_cluster():  # noqa: ANN201
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False, dashboard_address=":0") as c:
        yield c


def test_results_arrive_and_failed_tasks_are_reported_per_item(threaded_cluster) -> None:
    items = list(range(20))
    out = list(map_unordered(_fail_on_seven, items, scheduler=threaded_cluster.scheduler_address, chunk_size=3))
    assert sorted(i for i, _, _ in out) == items  # every item exactly once
    failed = {i for i, r, e in out if e is not None}
    assert failed == {6, 7, 8}  # the chunk [6, 7, 8] failed as a whole; the other chunks went on
    assert all(isinstance(e, RuntimeError) for i, r, e in out if i in failed)
    assert {i: r for i, r, e in out if e is None} == {i: i * i for i in items if i not in failed}


def test_bounded_in_flight_and_a_client_object(threaded_cluster) -> None:
    with distributed.Client(threaded_cluster.scheduler_address, set_as_default=False) as client:
        out = list(map_unordered(abs, list(range(-50, 0)), scheduler=client, chunk_size=2, max_pending=1))
        assert sorted(r for _, r, _ in out) == list(range(1, 51))
        assert client.status == "running"  # a caller's client is left open


def test_chunk_sizes() -> None:
    assert chunk_size_for(200, 4) == 13
    assert chunk_size_for(3, 16) == 1
    assert chunk_size_for(2_000_000, 512) == 64
    with pytest.raises(InputError, match="no worker threads|0 worker threads"):
        chunk_size_for(10, 0)


def test_unreachable_scheduler_is_one_line_error() -> None:
    with pytest.raises(DownloadError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        list(map_unordered(abs, [1], scheduler="tcp://127.0.0.1:9", connect_timeout=1.0))
    with pytest.raises(InputError, match="scheduler address"):
        list(map_unordered(abs, [1], scheduler=""))


# -- the YouTube fan-out on Dask --------------------------------------------------------------

yt = pytest.importorskip("yt_dlp")
pytest.importorskip("imageio_ffmpeg")

from _youtube_loopback import media_files, media_server  # noqa: E402,F401  (fixtures)

from avbench.download.manifest import read_manifest  # noqa: E402
from avbench.download.resource import YouTubeClip  # noqa: E402
from avbench.download.youtube import MANIFEST_NAME, fetch_youtube_clips  # noqa: E402

CLIPS = [
    YouTubeClip("d_av", "v_d", 0.5, 1.5, "av"),
    YouTubeClip("d_audio", "a_d", 0.0, 1.0, "audio"),
    YouTubeClip("d_gone", "n404_d", 0.0, 1.0),
    YouTubeClip("d_forb", "n403_d", 0.0, 1.0, "audio"),
]


def _statuses(path: Path) -> dict[str, str]:
    return {k: r.status for k, r in read_manifest(path).items()}


def test_youtube_on_dask_matches_local(media_server, threaded_cluster, tmp_path: Path) -> None:
    local = fetch_youtube_clips(CLIPS, tmp_path / "local", url_template=media_server.template, quiet=True)
    dask = fetch_youtube_clips(CLIPS, tmp_path / "dask", url_template=media_server.template, quiet=True,
                               executor="dask", scheduler=threaded_cluster.scheduler_address)  # fmt: skip
    assert dask.counts == local.counts == {"ok": 2, "unavailable": 1, "private": 0, "removed": 0,
                                           "geo-blocked": 0, "age-restricted": 0, "error": 1}  # fmt: skip
    assert _statuses(tmp_path / "dask" / MANIFEST_NAME) == _statuses(tmp_path / "local" / MANIFEST_NAME)
    rows = read_manifest(tmp_path / "dask" / MANIFEST_NAME)
    assert (rows["d_av"].has_video, rows["d_audio"].has_video) == (True, False)
    assert (tmp_path / "dask" / rows["d_av"].path).is_file()
    # same re-run semantics: ok and permanent skipped, the error retried
    again = fetch_youtube_clips(CLIPS, tmp_path / "dask", url_template=media_server.template, quiet=True,
                                executor="dask", scheduler=threaded_cluster.scheduler_address)  # fmt: skip
    assert (again.fetched, again.skipped) == (1, 3)


@pytest.mark.slow
def test_youtube_on_process_workers(media_server, tmp_path: Path) -> None:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
        s = fetch_youtube_clips(CLIPS, tmp_path, url_template=media_server.template, quiet=True,
                                executor="dask", scheduler=c.scheduler_address)  # fmt: skip
    assert (s.counts["ok"], s.counts["unavailable"], s.counts["error"]) == (2, 1, 1)
    assert _statuses(tmp_path / MANIFEST_NAME)["d_av"] == "ok"
