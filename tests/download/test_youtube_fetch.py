"""fetch_youtube_clips end to end, offline: yt-dlp's generic extractor on a loopback server.

The URL template maps each video id to a loopback URL; the id's prefix picks the server's
behaviour (see ``_youtube_loopback``). Durations and streams of the saved files are checked with
PyAV, independently of the ffmpeg probe the fetcher itself uses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("yt_dlp")
pytest.importorskip("imageio_ffmpeg")
av = pytest.importorskip("av")

from _youtube_loopback import media_files, media_server  # noqa: E402,F401  (fixtures)

from avbench.download.manifest import availability_masks, read_manifest  # noqa: E402
from avbench.download.resource import YouTubeClip  # noqa: E402
from avbench.download.verify import hash_file  # noqa: E402
from avbench.download.youtube import MANIFEST_NAME, fetch_youtube_clips  # noqa: E402
from avbench.errors import InputError  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _fetch(srv, out: Path, clips, **kw):
    kw.setdefault("workers", 4)
    return fetch_youtube_clips(clips, out, url_template=srv.template, quiet=True, **kw)


def _streams(path: Path) -> tuple[float | None, float | None, int]:
    """(audio seconds, video seconds, video frames) decoded by PyAV."""
    with av.open(str(path)) as c:
        a_dur = v_dur = None
        frames = 0
        for s in c.streams:
            if s.type == "audio":
                a_dur = float(s.duration * s.time_base) if s.duration else None
            if s.type == "video":
                v_dur = float(s.duration * s.time_base) if s.duration else None
        if c.streams.video:
            frames = sum(1 for _ in c.decode(video=0))
    return a_dur, v_dur, frames


def test_sections_saved_checked_and_recorded(media_server, tmp_path: Path) -> None:
    clips = [
        YouTubeClip("clip_av", "v_one", 0.5, 2.5, "av"),
        YouTubeClip("clip_audio", "a_one", 0.5, 2.5, "audio"),
        YouTubeClip("clip_av_as_audio", "v_two", 1.0, 2.0, "audio"),
    ]
    s = _fetch(media_server, tmp_path, clips)
    assert (s.total, s.fetched, s.skipped, s.counts["ok"]) == (3, 3, 0, 3)
    rows = read_manifest(tmp_path / MANIFEST_NAME)
    for c in clips:
        r = rows[c.clip_id]
        f = tmp_path / r.path
        assert r.status == "ok" and r.reason == "" and r.yt_dlp and r.date.endswith("Z")
        assert (r.video_id, r.start, r.end, r.mode) == (c.video_id, c.start, c.end, c.mode)
        assert f.stat().st_size == r.size
        assert hash_file(f).hexdigest("sha256") == r.sha256
    a_dur, v_dur, frames = _streams(tmp_path / rows["clip_av"].path)
    assert frames == 20  # 2 s at 10 fps: the re-encoded cut is frame-exact
    assert abs(v_dur - 2.0) < 0.11 and abs(a_dur - 2.0) < 0.15
    assert abs(rows["clip_av"].duration - 2.0) < 0.15
    a_dur, v_dur, frames = _streams(tmp_path / rows["clip_audio"].path)
    assert v_dur is None and frames == 0 and abs(a_dur - 2.0) < 0.15
    a_dur, v_dur, frames = _streams(tmp_path / rows["clip_av_as_audio"].path)
    assert v_dur is None and frames == 0 and abs(a_dur - 1.0) < 0.15  # the video stream was dropped
    assert availability_masks(rows, [c.clip_id for c in clips]) == {
        "clip_av": (True, True), "clip_audio": (True, False), "clip_av_as_audio": (True, False),
    }  # fmt: skip
    assert not (tmp_path / ".partial").exists()


def test_http_failures_and_truncated_media_are_recorded(media_server, tmp_path: Path) -> None:
    clips = [
        YouTubeClip("gone", "n404_x", 0.0, 2.0),
        YouTubeClip("forbidden", "n403_x", 0.0, 2.0),
        YouTubeClip("cut", "trunc_x", 0.5, 2.5),
        YouTubeClip("fine", "v_x", 0.0, 1.0),
    ]
    s = _fetch(media_server, tmp_path, clips)
    rows = read_manifest(tmp_path / MANIFEST_NAME)
    assert {k: r.status for k, r in rows.items()} == {
        "gone": "unavailable", "forbidden": "error", "cut": "error", "fine": "ok",
    }  # fmt: skip
    assert "HTTP Error 404" in rows["gone"].reason and "HTTP Error 403" in rows["forbidden"].reason
    assert rows["cut"].reason.startswith("ERROR: ")
    assert s.counts == {"ok": 1, "unavailable": 1, "private": 0, "removed": 0, "geo-blocked": 0,
                        "age-restricted": 0, "error": 2}  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{MANIFEST_NAME}.lock", "fine.mp4", MANIFEST_NAME]
    assert availability_masks(rows, ["gone", "cut", "fine"]) == {
        "gone": (False, False), "cut": (False, False), "fine": (True, True),
    }  # fmt: skip


REASONS = {
    "priv": ("Private video. Sign in if you've been granted access to this video", "private"),
    "term": ("Video unavailable. This video is no longer available because the YouTube account "
             "associated with this video has been terminated.", "removed"),
    "geo": ("The uploader has not made this video available in your country", "geo-blocked"),
    "age": ("Sign in to confirm your age. This video may be inappropriate for some users.", "age-restricted"),
}  # fmt: skip


@pytest.fixture
def youtube_like_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """The generic extractor raises YouTube's texts for ids named in REASONS (as YoutubeIE does)."""
    from yt_dlp.extractor.generic import GenericIE
    from yt_dlp.utils import ExtractorError, GeoRestrictedError

    original = GenericIE._real_extract

    def fake(self, url):  # noqa: ANN001, ANN202
        vid = url.rsplit("/", 1)[-1].split(".")[0]
        if vid in REASONS:
            cls = GeoRestrictedError if vid == "geo" else ExtractorError
            raise cls(REASONS[vid][0], expected=True, video_id=vid, ie="youtube")
        return original(self, url)

    monkeypatch.setattr(GenericIE, "_real_extract", fake)


def test_youtube_error_texts_become_statuses(media_server, tmp_path: Path, youtube_like_errors) -> None:
    clips = [YouTubeClip(f"c_{v}", v, 0.0, 1.0, "audio") for v in REASONS] + [YouTubeClip("c_ok", "a_ok", 0.0, 1.0, "audio")]
    _fetch(media_server, tmp_path, clips)
    rows = read_manifest(tmp_path / MANIFEST_NAME)
    for vid, (text, status) in REASONS.items():
        r = rows[f"c_{vid}"]
        assert r.status == status
        assert r.reason.startswith(f"ERROR: [youtube] {vid}: {text}")  # yt-dlp may append a hint
        assert r.yt_dlp and not r.path and not r.sha256
    assert rows["c_ok"].status == "ok"


def test_reruns_skip_recorded_clips_and_retry_errors(media_server, tmp_path: Path) -> None:
    clips = [YouTubeClip("ok1", "v_1", 0.0, 1.0), YouTubeClip("ok2", "a_2", 0.0, 1.0, "audio"),
             YouTubeClip("gone", "n404_g", 0.0, 1.0), YouTubeClip("forb", "n403_f", 0.0, 1.0)]  # fmt: skip
    _fetch(media_server, tmp_path, clips)
    first = read_manifest(tmp_path / MANIFEST_NAME)
    hits = dict(media_server.hits)
    s = _fetch(media_server, tmp_path, clips)
    # ok (re-hashed, unchanged) and permanently unavailable clips: no request; the error is retried
    assert (s.fetched, s.skipped) == (1, 3)
    assert {k: media_server.hits[k] - hits[k] for k in hits} == {"v_1": 0, "a_2": 0, "n404_g": 0, "n403_f": 1}
    second = read_manifest(tmp_path / MANIFEST_NAME)
    assert second["ok1"] == first["ok1"] and second["gone"] == first["gone"]
    hits = dict(media_server.hits)
    s = _fetch(media_server, tmp_path, clips, retry_unavailable=True)
    assert (s.fetched, s.skipped) == (2, 2)
    assert {k: media_server.hits[k] - hits[k] for k in hits} == {"v_1": 0, "a_2": 0, "n404_g": 1, "n403_f": 1}


def test_missing_changed_or_redefined_clips_are_fetched_again(media_server, tmp_path: Path) -> None:
    clips = [YouTubeClip(f"c{i}", f"v_{i}", 0.0, 1.0, "audio") for i in range(4)]
    _fetch(media_server, tmp_path, clips)
    rows = read_manifest(tmp_path / MANIFEST_NAME)
    (tmp_path / rows["c0"].path).unlink()
    f1 = tmp_path / rows["c1"].path
    data = bytearray(f1.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different bytes
    f1.write_bytes(bytes(data))
    clips[2] = YouTubeClip("c2", "v_2", 0.5, 1.5, "audio")  # the dataset's section changed
    hits = dict(media_server.hits)
    s = _fetch(media_server, tmp_path, clips)
    assert (s.fetched, s.skipped, s.counts["ok"]) == (3, 1, 4)
    assert {k: media_server.hits[k] > hits[k] for k in hits} == {"v_0": True, "v_1": True, "v_2": True, "v_3": False}
    after = read_manifest(tmp_path / MANIFEST_NAME)
    assert after["c2"].start == 0.5
    for cid in ("c0", "c1"):
        assert hash_file(tmp_path / after[cid].path).hexdigest("sha256") == after[cid].sha256


def test_corrupt_file_of_a_video_removed_since_is_dropped(media_server, tmp_path: Path) -> None:
    clips = [YouTubeClip("z", "v_z", 0.0, 1.0, "audio")]
    _fetch(media_server, tmp_path, clips)
    f = tmp_path / read_manifest(tmp_path / MANIFEST_NAME)["z"].path
    f.write_bytes(f.read_bytes()[:-10])  # damaged on disk
    media_server.gone.add("v_z")  # and the video is gone
    _fetch(media_server, tmp_path, clips)
    rows = read_manifest(tmp_path / MANIFEST_NAME)
    assert rows["z"].status == "unavailable" and not f.exists()
    assert availability_masks(rows, ["z"]) == {"z": (False, False)}


def test_sequential_run_and_separate_manifest_path(media_server, tmp_path: Path, capsys) -> None:
    clips = [YouTubeClip("x", "v_x", 0.0, 1.0, "audio"), YouTubeClip("y", "n404_y", 0.0, 1.0)]
    manifest = tmp_path / "root" / "youtube_manifest.tsv"
    s = fetch_youtube_clips(clips, tmp_path / "root" / "clips", url_template=media_server.template, workers=1,
                            manifest_path=manifest, quiet=False)  # fmt: skip
    err = capsys.readouterr().err
    assert f"avbench: youtube: 2 clips (2 fetched, 0 skipped): ok 1, unavailable 1; manifest {manifest}" in err
    rows = read_manifest(manifest)
    assert s.fetched == 2 and rows["x"].path == "clips/x.m4a" and rows["y"].status == "unavailable"
    assert availability_masks(rows, ["x", "y"], root=manifest.parent) == {"x": (True, False), "y": (False, False)}


@pytest.mark.parametrize(
    ("clips", "kwargs", "match"),
    [
        ([YouTubeClip("a", "v"), YouTubeClip("a", "w")], {}, "requested twice"),
        ([YouTubeClip("../a", "v")], {}, "cannot name a file"),
        ([YouTubeClip(".hidden", "v")], {}, "cannot name a file"),
        ([], {"executor": "ray"}, "executor must be 'local' or 'dask'"),
        ([], {"executor": "dask"}, "needs --scheduler"),
        ([], {"url_template": "http://x/{id}"}, "must contain"),
        ([], {"workers": 0}, "workers must be a positive integer"),
    ],
)
def test_input_errors(clips, kwargs, match, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=match):
        fetch_youtube_clips(clips, tmp_path, quiet=True, **kwargs)


_CHILD = """
import json, sys
from avbench.download.resource import YouTubeClip
from avbench.download.youtube import fetch_youtube_clips
spec = json.loads(sys.argv[1])
fetch_youtube_clips([YouTubeClip(*c) for c in spec["clips"]], spec["out"], url_template=spec["template"],
                    workers=2, quiet=True)
"""


@pytest.mark.slow
def test_crash_mid_run_then_resume(media_server, tmp_path: Path) -> None:
    media_server.delay = 0.15
    clips = [YouTubeClip(f"c{i:02d}", f"slow_{i:02d}", 0.0, 1.0, "audio") for i in range(10)]
    spec = {"clips": [[c.clip_id, c.video_id, c.start, c.end, c.mode] for c in clips], "out": str(tmp_path),
            "template": media_server.template}  # fmt: skip
    manifest = tmp_path / MANIFEST_NAME
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(spec)], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if manifest.exists() and len(manifest.read_text().splitlines()) >= 4:  # header + 3 rows
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    before = read_manifest(manifest)
    assert 3 <= len(before) < len(clips) and all(r.status == "ok" for r in before.values())
    s = _fetch(media_server, tmp_path, clips)
    assert (s.skipped, s.fetched) == (len(before), len(clips) - len(before))
    after = read_manifest(manifest)
    assert len(after) == len(clips) and all(r.status == "ok" for r in after.values())
    assert all(after[k] == r for k, r in before.items())  # rows written before the crash were kept


@pytest.mark.parametrize("workers", [1, 3])
def test_an_unexpected_worker_failure_is_an_error_row(monkeypatch, tmp_path: Path, workers: int) -> None:
    import avbench.download.youtube as yt

    def broken(job, **kwargs):  # noqa: ANN001, ANN202
        raise RuntimeError(f"boom {job[0].clip_id}")

    monkeypatch.setattr(yt, "fetch_job", broken)
    clips = [YouTubeClip(f"k{i}", f"v_{i}", 0.0, 1.0) for i in range(4)]
    s = fetch_youtube_clips(clips, tmp_path, quiet=True, workers=workers)
    rows = read_manifest(tmp_path / MANIFEST_NAME)
    assert s.counts["error"] == 4 and rows["k2"].reason == "RuntimeError: boom k2"


def test_missing_extra_is_raised_once_not_recorded(monkeypatch, tmp_path: Path) -> None:
    from avbench.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "yt_dlp", None)  # makes `import yt_dlp` fail
    with pytest.raises(MissingExtraError, match=r"avbench\[youtube\]"):
        fetch_youtube_clips([YouTubeClip("m", "v_m")], tmp_path, quiet=True)
    assert read_manifest(tmp_path / MANIFEST_NAME) == {}
