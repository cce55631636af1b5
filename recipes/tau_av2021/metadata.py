"""TAU Urban Audio-Visual Scenes 2021: the packaged index, the setup files and the validation carve.

On-disk layout after extraction (the archives unpack into one directory per set)::

    TAU-urban-audio-visual-scenes-2021-development/
        meta.csv                           filename_audio  filename_video  scene_label  identifier
        evaluation_setup/fold1_train.csv   filename_audio  filename_video  scene_label
        evaluation_setup/fold1_evaluate.csv
        evaluation_setup/fold1_test.csv    (the evaluate files without labels)
        audio/<scene>-<city>-<location>-<segment>.wav
        video/<scene>-<city>-<location>-<segment>.mp4
    TAU-urban-audio-visual-scenes-2021-evaluation/
        meta.csv, audio/, video/

The setup files are TAB-separated with a header (dcase_util's reader); comma-separated copies (the
baseline repository's ``train.csv``/``val.csv``) parse too. A recording's *location* is
``<city>-<location id>`` (the ``identifier`` column where there is one, else taken from the file
name): the 10-s segments of one location come from the same few-minute recording.

Validation split (``val``): whole locations of ``fold1_train`` held out, chosen per scene class in
the order of ``sha256("<seed>:<location>")`` (seed and fraction in the index), a location joining
``val`` while its class has fewer than ``max(1, round(fraction * n_class))`` validation recordings
(none when the class has a single training location). The order depends on nothing but the
location names, so the membership is the same on every machine and numpy version.

Example:
    >>> rows = [SetupRow.from_filename(f"audio/bus-lisbon-{loc}-{seg}.wav", "bus")
    ...         for loc in (1, 2, 3) for seg in (10, 11)]
    >>> val = carve_validation(rows, seed=2021, fraction=0.1)
    >>> sorted({r.location for r in rows if r.clip_id in val})
    ['lisbon-1']
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from avbench.errors import InputError

__all__ = ["index", "classes", "SetupRow", "read_setup", "with_meta", "carve_validation", "set_dir"]


@cache
def index() -> dict[str, Any]:
    """The packaged ``index/index.json`` (archives with sizes and md5, classes, validation seed)."""
    text = resources.files("avbench.recipes.tau_av2021").joinpath("index/index.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def classes() -> tuple[str, ...]:
    """The 10 scene classes in the baseline's order (label index order)."""
    return tuple(index()["classes"])


def set_dir(root: Path, name: str) -> Path:
    """The extracted directory of set ``name`` (``development`` or ``evaluation``) under ``root``."""
    return Path(root) / index()["sets"][name]["prefix"]


@dataclass(frozen=True)
class SetupRow:
    """One recording of a setup file or ``meta.csv``.

    ``clip_id`` is the file stem (``airport-lisbon-1000-40000``); ``location`` the recording
    location (``lisbon-1000``); ``scene`` is ``None`` in unlabelled lists (``fold1_test.csv``).
    """

    clip_id: str
    audio: str
    video: str
    scene: str | None
    city: str | None
    location: str

    @classmethod
    def from_filename(cls, audio: str, scene: str | None, *, video: str | None = None,
                      identifier: str | None = None) -> SetupRow:
        stem = PurePosixPath(audio).stem
        parts = stem.split("-")
        city = parts[1] if len(parts) >= 4 else None
        location = identifier or ("-".join(parts[1:3]) if len(parts) >= 4 else stem)
        video = video or str(PurePosixPath("video") / f"{stem}.mp4")
        return cls(stem, audio, video, scene or None, city, location)


def read_setup(path: Path, *, labels: Sequence[str], labelled: bool = True) -> list[SetupRow]:
    """Rows of a setup file (``fold1_*.csv``) or ``meta.csv``, in file order.

    Raises:
        InputError: the file is missing a column, names an unknown scene, or lists a file twice
            (the message names the file and line).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: not found; run `avbench download tau-urban-av-2021 --parts meta`") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; download the meta part again") from None
    first = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text), delimiter="\t" if "\t" in first else ",")
    header = [h.strip() for h in (reader.fieldnames or [])]
    audio_col = "filename_audio" if "filename_audio" in header else "filename" if "filename" in header else None
    if audio_col is None:
        raise InputError(f"{path}: expected a header with 'filename_audio' (or 'filename'), got {header!r}")
    if labelled and "scene_label" not in header:
        raise InputError(f"{path}: expected a 'scene_label' column, got {header!r}")
    out, seen = [], set()
    for line_no, raw in enumerate(reader, start=2):
        row = {str(k).strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        audio = row.get(audio_col, "")
        if not audio:
            raise InputError(f"{path}:{line_no}: empty {audio_col}")
        scene = row.get("scene_label") or None
        if scene is not None and scene not in labels:
            raise InputError(f"{path}:{line_no}: scene_label {scene!r} is not one of the {len(labels)} classes")
        if labelled and scene is None:
            raise InputError(f"{path}:{line_no}: no scene_label")
        r = SetupRow.from_filename(audio, scene, video=row.get("filename_video") or None,
                                   identifier=row.get("identifier") or None)
        if r.clip_id in seen:
            raise InputError(f"{path}:{line_no}: {r.clip_id!r} is listed twice")
        seen.add(r.clip_id)
        out.append(r)
    return out


def with_meta(meta_csv: Path, rows: Sequence[SetupRow], *, labels: Sequence[str]) -> list[SetupRow]:
    """``rows`` checked against ``meta.csv`` (same scene), with its ``identifier`` as the location.

    Raises:
        InputError: a setup row is not in ``meta.csv`` or has another scene there.
    """
    meta = {r.clip_id: r for r in read_setup(meta_csv, labels=labels)}
    out = []
    for r in rows:
        m = meta.get(r.clip_id)
        if m is None:
            raise InputError(f"{meta_csv}: has no row for {r.audio!r} of the setup files; download the meta part again")
        if m.scene != r.scene:
            raise InputError(f"{meta_csv}: {r.clip_id!r} is {m.scene!r} there but {r.scene!r} in the setup files")
        out.append(SetupRow(r.clip_id, r.audio, r.video, r.scene, r.city, m.location))
    return out


def _order(seed: int, location: str) -> str:
    return hashlib.sha256(f"{seed}:{location}".encode()).hexdigest()


def carve_validation(rows: Iterable[SetupRow], *, seed: int, fraction: float) -> set[str]:
    """Clip ids of the validation part of ``rows`` (see the module docstring): whole locations."""
    rows = list(rows)
    by_loc: dict[str, list[SetupRow]] = {}
    for r in rows:
        by_loc.setdefault(r.location, []).append(r)
    per_class: dict[str, int] = {}
    locs_of_class: dict[str, set[str]] = {}
    for r in rows:
        per_class[str(r.scene)] = per_class.get(str(r.scene), 0) + 1
        locs_of_class.setdefault(str(r.scene), set()).add(r.location)
    quota = {c: (max(1, round(fraction * n)) if len(locs_of_class[c]) > 1 else 0) for c, n in per_class.items()}
    taken = {c: 0 for c in per_class}
    left = {c: len(v) for c, v in locs_of_class.items()}  # training locations a class still has
    val: set[str] = set()
    for loc in sorted(by_loc, key=lambda name: _order(seed, name)):
        members = by_loc[loc]
        counts: dict[str, int] = {}
        for r in members:
            counts[str(r.scene)] = counts.get(str(r.scene), 0) + 1
        if all(taken[c] < quota[c] and left[c] > 1 for c in counts):
            for c, n in counts.items():
                taken[c] += n
                left[c] -= 1
            val.update(r.clip_id for r in members)
    return val
