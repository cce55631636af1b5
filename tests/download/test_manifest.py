"""The availability manifest: schema, round trip, crash safety, masks."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from avbench.download.manifest import (
    COLUMNS,
    ManifestRow,
    ManifestWriter,
    availability_masks,
    read_manifest,
    status_counts,
    write_manifest,
)
from avbench.errors import InputError

SHA = "ab" * 32


def ok_row(cid: str, *, audio: bool = True, video: bool = True, path: str | None = None, size: int = 3) -> ManifestRow:
    return ManifestRow(cid, f"vid_{cid}", 1.5, 11.5, "av" if video else "audio", "ok", date="2026-01-02T03:04:05Z",
                       yt_dlp="2026.10.26", path=path or f"{cid}.mp4", sha256=SHA, size=size, duration=9.987,
                       has_audio=audio, has_video=video)  # fmt: skip


def bad_row(cid: str, status: str = "private", reason: str = "Private video") -> ManifestRow:
    return ManifestRow(cid, f"vid_{cid}", 0.0, 10.0, "av", status, reason=reason, date="2026-01-02T03:04:05Z")


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    rows = [ok_row("a"), ok_row("b", video=False), bad_row("c", "geo-blocked", "not in your country")]
    write_manifest(tmp_path / "m.tsv", rows)
    back = read_manifest(tmp_path / "m.tsv")
    assert list(back) == ["a", "b", "c"]
    assert list(back.values()) == rows
    header = (tmp_path / "m.tsv").read_text().splitlines()[0]
    assert header.split("\t") == list(COLUMNS)
    assert (tmp_path / "m.tsv").read_text().splitlines()[2].split("\t")[13:] == ["1", "0"]


def test_last_row_of_a_clip_wins(tmp_path: Path) -> None:
    p = tmp_path / "m.tsv"
    write_manifest(p, [bad_row("a", "error", "HTTP Error 403")])
    with open(p, "a") as fh:
        fh.write(ok_row("a").to_line())
    assert read_manifest(p)["a"].status == "ok"


def test_torn_final_line_is_ignored(tmp_path: Path) -> None:
    p = tmp_path / "m.tsv"
    write_manifest(p, [ok_row("a")])
    with open(p, "a") as fh:
        fh.write(ok_row("b").to_line()[:40])  # a crash in the middle of a write
    assert list(read_manifest(p)) == ["a"]


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "m.tsv"
    write_manifest(p, [ok_row("a")])
    with open(p, "a") as fh:
        fh.write("b\tonly three\tfields\n")
    with pytest.raises(InputError, match=r"m\.tsv:3: expected 15 tab-separated fields, got 3"):
        read_manifest(p)


def test_bad_header_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "m.tsv"
    p.write_text("clip\tstatus\n")
    with pytest.raises(InputError, match=r"m\.tsv:1: header must be"):
        read_manifest(p)
    with pytest.raises(InputError, match="no such manifest"):
        read_manifest(tmp_path / "absent.tsv")


def test_bad_status_in_file_is_reported(tmp_path: Path) -> None:
    p = tmp_path / "m.tsv"
    write_manifest(p, [bad_row("a")])
    p.write_text(p.read_text().replace("\tprivate\t", "\tgone\t"))
    with pytest.raises(InputError, match=r"m\.tsv:2: manifest row 'a': status must be one of"):
        read_manifest(p)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"status": "gone"}, "status must be one of"),
        ({"status": "ok"}, "needs a path and a 64-hex-digit sha256"),
        ({"status": "private", "has_audio": True}, "cannot have audio or video"),
        ({"status": "error", "reason": "a\tb"}, "must not hold tabs"),
        ({"status": "error", "mode": "video"}, "mode must be"),
    ],
)
def test_row_validation(kwargs: dict, match: str) -> None:
    base = {"clip_id": "a", "video_id": "v", "start": 0.0, "end": 1.0, "mode": "av"}
    with pytest.raises(InputError, match=match):
        ManifestRow(**{**base, **kwargs})


def test_writer_appends_then_compacts(tmp_path: Path) -> None:
    p = tmp_path / "m.tsv"
    with ManifestWriter(p) as w:
        w.add(bad_row("a", "error", "HTTP Error 403"))
        w.add(ok_row("b"))
        w.add(ok_row("a"))
        assert len(p.read_text().splitlines()) == 4  # header + 3 appended lines, nothing lost yet
    lines = p.read_text().splitlines()
    assert len(lines) == 3  # compacted: one row per clip
    assert read_manifest(p)["a"].status == "ok"


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    p = tmp_path / "m.tsv"
    with ManifestWriter(p):
        with pytest.raises(InputError, match=r"m\.tsv: another avbench download is writing this manifest"):
            ManifestWriter(p)
    with ManifestWriter(p) as w:  # released on close
        w.add(ok_row("a"))


def test_writer_rows_survive_a_crash_before_close(tmp_path: Path) -> None:
    p = tmp_path / "m.tsv"
    w = ManifestWriter(p)
    w.add(ok_row("a"))
    w.add(bad_row("b"))
    os.close(w._fd)  # the process dies: no compaction, no final fsync, the lock goes
    os.close(w._lock_fd)
    w._fd = None
    with open(p, "a") as fh:
        fh.write("c\tvid_c\t0.000")  # and a torn line
    assert set(read_manifest(p)) == {"a", "b"}
    w2 = ManifestWriter(p)  # a new run starts from a compact, terminated file
    assert p.read_text().endswith("\n") and set(w2.rows) == {"a", "b"}
    w2.close()


def test_writer_is_thread_safe(tmp_path: Path) -> None:
    p = tmp_path / "m.tsv"
    with ManifestWriter(p, sync_every=0.0) as w:

        def work(k: int) -> None:
            for i in range(100):
                w.add(bad_row(f"t{k}_{i}", "error", "x" * (i % 50)))

        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # before compaction every appended line is whole
        assert len(read_manifest(p)) == 800
    assert len(read_manifest(p)) == 800


def test_masks_by_status_and_streams(tmp_path: Path) -> None:
    m = {
        "av": ok_row("av"),
        "aud": ok_row("aud", video=False, path="aud.m4a"),
        "vid": ok_row("vid", audio=False),
        "priv": bad_row("priv"),
        "err": bad_row("err", "error", "HTTP Error 403"),
    }
    masks = availability_masks(m, ["av", "aud", "vid", "priv", "err", "never"])
    assert masks == {
        "av": (True, True),
        "aud": (True, False),
        "vid": (False, True),
        "priv": (False, False),
        "err": (False, False),
        "never": (False, False),
    }


def test_masks_with_root_need_the_file(tmp_path: Path) -> None:
    (tmp_path / "av.mp4").write_bytes(b"abc")
    m = {"av": ok_row("av"), "gone": ok_row("gone")}
    assert availability_masks(m, ["av", "gone"], root=tmp_path) == {"av": (True, True), "gone": (False, False)}


def test_status_counts() -> None:
    m = {"a": ok_row("a"), "b": bad_row("b"), "c": bad_row("c", "removed", "gone")}
    counts = status_counts(m, ["a", "b", "c", "d"])
    assert (counts["ok"], counts["private"], counts["removed"], counts["missing"], counts["error"]) == (1, 1, 1, 1, 0)
    assert status_counts(m)["missing"] == 0
