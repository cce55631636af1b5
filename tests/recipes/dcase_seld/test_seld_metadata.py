"""SELD metadata parsing on the real released files (../shared/reference/seld) and the frame <->
event round trip through the SELD metrics' own reader and rasteriser.

Expected values are read off the files themselves: the first row of each 2019 file, row and
frame counts taken with plain string splitting in the test (not with the recipe's parser).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.metrics.seld.files import from_json
from avbench.metrics.seld.io import read_csv
from avbench.model import Clip
from avbench.recipes.dcase_seld import index
from avbench.recipes.dcase_seld.metadata import read_events

STARSS = tuple(index("starss22")["classes"])
N2021 = tuple(index("tau-nigens-sse-2021".replace("-", "_"))["classes"])
C2019 = tuple(index("tau_sse_2019")["classes"])


class _Task:
    def __init__(self, labels: tuple[str, ...]) -> None:
        self.labels = labels
        self.id = "test"


def _rows(path: Path) -> list[list[int]]:
    return [[int(x) for x in ln.split(",")] for ln in path.read_text().splitlines() if ln.strip()]


def _frames_files(reference_dir: Path) -> list[Path]:
    base = reference_dir / "seld"
    files = sorted((base / "nomaanakhan_seld-dcase2022" / "metadata_dev").rglob("*.csv"))
    files.append(base / "SOUNDS-RESEARCH_complex_neural_source_localization" / "tests" / "fixtures" / "fold1_room1_mix001.csv")
    if len(files) < 9 or not files[-1].is_file():
        pytest.skip(f"SELD reference files missing under {base}")
    return files


def _table_rows(t) -> set[tuple]:  # noqa: ANN001
    dist = np.where(np.isnan(t.distance), -1.0, np.round(t.distance, 9))
    return set(zip(t.frame.tolist(), t.cls.tolist(), t.track.tolist(), t.azimuth.tolist(), t.elevation.tolist(),
                   dist.tolist()))


def test_real_2019_interval_files_parse(reference_dir: Path) -> None:
    files = sorted((reference_dir / "seld" / "sharathadavanne_seld-dcase2019" / "test_files").glob("*.csv"))
    assert len(files) == 4
    for f in files:
        lines = [ln for ln in f.read_text().splitlines() if ln.strip()]
        events = read_events(f, "intervals", C2019)
        assert len(events) == len(lines) - 1
        first = lines[1].split(",")
        ev = min(events, key=lambda e: e.onset)
        assert (ev.label, ev.onset, ev.offset, ev.elevation, ev.azimuth, ev.distance) == (
            first[0], float(first[1]), float(first[2]), float(first[3]), float(first[4]), float(first[5]))
        assert all(e.distance in (1.0, 2.0) and e.onset < 60 for e in events)
    ev = read_events(files[0], "intervals", C2019)[0]
    assert (ev.label, ev.onset, ev.azimuth, ev.elevation, ev.distance) == ("cough", 0.36645229108, -10.0, -10.0, 2.0)


def test_real_frame_files_round_trip_through_the_metrics(reference_dir: Path) -> None:
    """frames -> events -> frames (the metrics' rasteriser) gives back every row of the file."""
    for f in _frames_files(reference_dir):
        classes = N2021 if f.name == "fold1_room1_mix001.csv" else STARSS
        rows = _rows(f)
        unique = {tuple(r) for r in rows}  # STARSS22 fold4_room2_mix001 repeats 21 rows verbatim
        assert len(rows) - len(unique) == (21 if f.name == "fold4_room2_mix001.csv" else 0)
        events = read_events(f, "frames", classes)
        last = max(r[0] for r in rows)
        assert max(e.offset for e in events) == pytest.approx((last + 1) * 0.1)  # the last frame is kept
        assert sum(round(e.duration / 0.1) for e in events) == len(unique)
        clip = Clip(f.stem, (last + 1) * 0.1, events=events)
        (ref, _), _ = from_json(_Task(classes), {f.stem: clip}, {})
        want = read_csv(f, n_classes=len(classes))
        assert len(ref) == len(unique) and len(want) == len(rows)
        assert _table_rows(ref) == _table_rows(want), f.name


def test_starss23_distance_column_is_centimetres(reference_dir: Path, tmp_path: Path) -> None:
    src = _frames_files(reference_dir)[0]
    rows = _rows(src)
    f = tmp_path / src.name
    f.write_text("".join(f"{','.join(map(str, r))},{100 + r[0] % 50}\n" for r in rows))
    events = read_events(f, "frames", STARSS)
    assert {round(e.distance * 100) for e in events} <= {100 + r[0] % 50 for r in rows}
    clip = Clip(f.stem, (max(r[0] for r in rows) + 1) * 0.1, events=events)
    (ref, _), _ = from_json(_Task(STARSS), {f.stem: clip}, {})
    assert _table_rows(ref) == _table_rows(read_csv(f, n_classes=13, distance_unit="cm", layout="polar"))


def test_single_frame_event_ends_at_the_end_of_its_frame(tmp_path: Path) -> None:
    #  frame:   4   5   6   7
    #  class 0: .   X   .   X    two one-frame events, [0.5, 0.6) and [0.7, 0.8)
    #  class 1: X   X   X   .    azimuth 10, 10, 12: a moving source = two runs [0.4, 0.6) and [0.6, 0.7)
    f = tmp_path / "fold1_room1_mix001.csv"
    f.write_text("4,1,0,10,0\n5,0,0,90,0\n5,1,0,10,0\n6,1,0,12,0\n7,0,0,90,0\n")
    got = [(e.onset, e.offset, e.label, e.azimuth) for e in read_events(f, "frames", ("a", "b"))]
    assert got == [(0.4, 0.6, "b", 10.0), (0.5, 0.6, "a", 90.0), (0.6, 0.7, "b", 12.0), (0.7, 0.8, "a", 90.0)]


def test_one_source_in_two_directions_in_one_frame_stays_two_events(tmp_path: Path) -> None:
    f = tmp_path / "fold4_room2_mix001.csv"
    f.write_text("0,1,1,10,0\n0,1,1,50,0\n1,1,1,10,0\n1,1,1,50,0\n1,1,1,50,0\n")  # the last row repeats verbatim
    events = read_events(f, "frames", STARSS)
    (ref, _), _ = from_json(_Task(STARSS), {f.stem: Clip(f.stem, 0.2, events=events)}, {})
    assert sorted(zip(ref.frame.tolist(), ref.azimuth.tolist())) == [(0, 10.0), (0, 50.0), (1, 10.0), (1, 50.0)]


@pytest.mark.parametrize("text, fmt, match", [
    ("0,13,0,10,0\n", "frames", r"line 1: class 13 is not a known class index"),
    ("0,1,0,10,0,0\n", "frames", r"distance 0 cm"),
    ("0,1,10,0\n", "frames", r"line 1: 4 columns"),
    ("0,1,0,200,0\n", "frames", r"azimuth"),
    ("start,end\n", "intervals", r"line 1: expected the header sound_event_recording"),
    ("sound_event_recording,start_time,end_time,ele,azi,dist\nbark,0,1,0,0,1\n", "intervals", r"line 2: class 'bark'"),
    ("sound_event_recording,start_time,end_time,ele,azi,dist\nknock,2,1,0,0,1\n", "intervals", r"line 2: .*before offset"),
])
def test_malformed_metadata_names_file_and_line(tmp_path: Path, text: str, fmt: str, match: str) -> None:
    f = tmp_path / "split1_ir0_ov1_1.csv"
    f.write_text(text)
    classes = C2019 if fmt == "intervals" else STARSS
    with pytest.raises(InputError, match=match) as exc:
        read_events(f, fmt, classes)
    assert "split1_ir0_ov1_1.csv" in str(exc.value)


def test_a_row_past_the_fixed_clip_length_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "fold1_room1_mix001.csv"
    f.write_text("600,0,0,10,0\n")
    with pytest.raises(InputError, match="past the clip end"):
        read_events(f, "frames", N2021, n_frames=600)
