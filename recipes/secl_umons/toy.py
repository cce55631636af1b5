"""A tiny SECL-UMONS / AVECL-UMONS, simulated, in the release's layout.

Sequences are rendered with pyroomacoustics (:func:`avbench.recipes.synth.render.render_audio`) in
a 6 x 5 x 3 m shoebox with the 7-microphone UMA-8-SP geometry of :mod:`avbench.recipes.synth.render`
(centre capsule ``micro0``, six on a 4.5 cm ring) at the room centre, 4 kHz (the real set is
44.1 kHz: the reader takes the rate from the files)::

    unilabel   chair_movement (0), knock (4) x subclasses 1, 2 x rooms 1, 2 x n = 1, 2   16 x 3 s
    multilabel duos 0+4, 4+4 x rooms 1, 2 x n = 1, 2                                    8 x 4 s

Event ``k`` of a sequence sits at azimuth ``45 + 90 (n - 1) + 30 c + 15 (s - 1) + 5 (r - 1) + 120 k``
degrees, 1.5 m away in the horizontal plane, 0.4 m above it when ``n = 2`` (``x, y, z`` relative to the
array, as the metadata is read). Files::

    SECL-UMONS/Unilabel/<class>/room<r>_array_micro<m>_<c>_<s>_<n>.wav, room<r>_metadata_<c>_<s>.csv
    SECL-UMONS/Multilabel/<c1>_<c2>/room<r>_array_micro<m>_<c1>_<c2>_<n>.wav, room<r>_metadata_<c1>_<c2>.csv
    SECL-UMONS/unilabel_split1_train.csv, unilabel_split1_test.csv   (the shipped lists; test: n = 2)

With ``with_video`` the audio goes under ``secl/`` and ``avecl/AVECL-UMONS/`` holds the same metadata
with four ``webcam<c>`` field-of-view columns (camera ``c`` sees event ``k`` when
``(c + n + s + k) % 2 == 0``, ``s = 1`` for both events of a multilabel sequence: every event is seen
by two cameras, the two events of a multilabel sequence by complementary pairs) and the four webcam videos
``room<r>_webcam<c>_<...>.mp4`` (32x32, 1 fps, silent); the videos of camera 4 of
``unilabel-room1_array_0_1_1`` and all videos of ``multilabel-room2_array_4_4_1`` are missing, and camera 1
of ``unilabel-room2_array_4_2_2`` is not decodable (random bytes).

Example:
    >>> len(UNILABEL), len(MULTILABEL)
    (16, 8)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from avbench.io import atomic_write_text
from avbench.recipes.secl_umons.layout import classes

__all__ = ["UNILABEL", "MULTILABEL", "FS", "write_toy", "toy_xyz"]

FS = 4000
_UNI = [0, 4]
_DUOS = [(0, 4), (4, 4)]
UNILABEL = [(c, s, r, n) for c in _UNI for s in (1, 2) for r in (1, 2) for n in (1, 2)]
MULTILABEL = [(a, b, r, n) for a, b in _DUOS for r in (1, 2) for n in (1, 2)]
MISSING = {("unilabel", "room1_array_0_1_1"): (4,), ("multilabel", "room2_array_4_4_1"): (1, 2, 3, 4)}
BROKEN = {("unilabel", "room2_array_4_2_2"): (1,)}
_ROOM = {"size": [6.0, 5.0, 3.0], "absorption": 0.35}
_CENTRE = [3.0, 2.5, 1.2]


def toy_xyz(c: int, s: int, r: int, n: int, k: int = 0) -> tuple[float, float, float]:
    """Position of event ``k`` relative to the array (module docstring)."""
    az = math.radians(45 + 90 * (n - 1) + 30 * c + 15 * (s - 1) + 5 * (r - 1) + 120 * k)
    return round(1.5 * math.cos(az), 6), round(1.5 * math.sin(az), 6), 0.4 if n == 2 else 0.0


def _signal(c: int, seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * FS)) / FS
    env = np.exp(-3.0 * t)
    return (0.5 * env * (np.sin(2 * np.pi * (300 + 150 * c) * t) + 0.3 * rng.standard_normal(t.size))).astype(float)


def _render(events: list[tuple[int, tuple[float, float, float]]], seconds: float, seed: int) -> np.ndarray:
    from avbench.recipes.secl_umons.layout import direction
    from avbench.recipes.synth.render import N_MICS, render_audio

    rng = np.random.default_rng(seed)
    scenario = {"room": _ROOM, "array_centre": _CENTRE, "events": []}
    sigs = []
    for c, (x, y, z) in events:
        az, el, dist = direction(x, y, z)
        scenario["events"].append({"azimuth": az, "elevation": el, "distance": dist, "gain": 1.0, "onset": 0.1})
        sigs.append(_signal(c, seconds - 0.5, rng))
    n = int(seconds * FS)
    return render_audio(scenario, sigs, 0.001 * rng.standard_normal((N_MICS, n)), fs=FS, n_samples=n)


def _write_wavs(folder: Path, key: str, audio: np.ndarray) -> None:
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    room, rest = key.split("_array_")
    for m in range(audio.shape[0]):
        sf.write(folder / f"{room}_array_micro{m}_{rest}.wav", audio[m], FS, subtype="PCM_16")


def _cams(n: int, s: int, k: int) -> list[str]:
    return ["1" if (c + n + s + k) % 2 == 0 else "0" for c in (1, 2, 3, 4)]


def write_toy(root: Path, *, with_video: bool) -> None:
    """Write the toy set under ``root`` (module docstring)."""
    names = classes()
    audio_base = root / ("secl" if with_video else "") / "SECL-UMONS"
    video_base = root / "avecl" / "AVECL-UMONS"
    uni_csv: dict[tuple[int, int, int], list[str]] = {}
    vis_csv: dict[tuple[int, int, int], list[str]] = {}
    seqs: list[tuple[str, str, list[tuple[int, tuple[float, float, float]]], Path, int]] = []
    for c, s, r, n in UNILABEL:
        key = f"room{r}_array_{c}_{s}_{n}"
        x, y, z = toy_xyz(c, s, r, n)
        base = f"{key}.wav,{names[c]},{c},{s},{x},{y},{z},{r}"
        uni_csv.setdefault((r, c, s), []).append(base)
        vis_csv.setdefault((r, c, s), []).append(base + "," + ",".join(_cams(n, s, 0)))
        seqs.append(("unilabel", key, [(c, (x, y, z))], Path("Unilabel") / names[c], s))
    multi_csv: dict[tuple[int, int, int], list[str]] = {}
    multi_vis: dict[tuple[int, int, int], list[str]] = {}
    for a, b, r, n in MULTILABEL:
        key = f"room{r}_array_{a}_{b}_{n}"
        p1, p2 = toy_xyz(a, 1, r, n, 0), toy_xyz(b, 2, r, n, 1)
        base = f"{key}.wav,{names[a]},{a},1,{p1[0]},{p1[1]},{p1[2]},{names[b]},{b},2,{p2[0]},{p2[1]},{p2[2]},{r}"
        multi_csv.setdefault((r, a, b), []).append(base)
        multi_vis.setdefault((r, a, b), []).append(base + "," + ",".join(_cams(n, 1, 0) + _cams(n, 1, 1)))
        seqs.append(("multilabel", key, [(a, p1), (b, p2)], Path("Multilabel") / f"{a}_{b}", 1))
    uni_header = "File name,class,class number,subclass,x,y,z,room number"
    multi_header = ("File name,class 1,class number 1,subclass 1,x1,y1,z1,class 2,class number 2,subclass 2,x2,y2,z2,"
                    "room number")
    for (r, c, s), rows in uni_csv.items():
        rel = Path("Unilabel") / names[c] / f"room{r}_metadata_{c}_{s}.csv"
        atomic_write_text(audio_base / rel, "\n".join([uni_header, *rows]) + "\n")
        if with_video:
            cams = ",".join(f"webcam {i}" for i in (1, 2, 3, 4))
            atomic_write_text(video_base / rel, "\n".join([f"{uni_header},{cams}", *vis_csv[(r, c, s)]]) + "\n")
    for (r, a, b), rows in multi_csv.items():
        rel = Path("Multilabel") / f"{a}_{b}" / f"room{r}_metadata_{a}_{b}.csv"
        atomic_write_text(audio_base / rel, "\n".join([multi_header, *rows]) + "\n")
        if with_video:
            cams = ",".join(f"webcam{i}_{k}" for k in (1, 2) for i in (1, 2, 3, 4))
            atomic_write_text(video_base / rel, "\n".join([f"{multi_header},{cams}", *multi_vis[(r, a, b)]]) + "\n")
    train = [f"Unilabel/{names[c]}/room{r}_array_micro0_{c}_{s}_{n}.wav" for c, s, r, n in UNILABEL if n == 1]
    test = [f"Unilabel/{names[c]}/room{r}_array_micro0_{c}_{s}_{n}.wav" for c, s, r, n in UNILABEL if n == 2]
    atomic_write_text(audio_base / "unilabel_split1_train.csv", "\n".join(["0", *train]) + "\n")
    atomic_write_text(audio_base / "unilabel_split1_test.csv", "\n".join(["0", *test]) + "\n")
    for i, (pop, key, events, folder, _) in enumerate(seqs):
        seconds = 3.0 if pop == "unilabel" else 4.0
        _write_wavs(audio_base / folder, key, _render(events, seconds, seed=i))
        if with_video:
            _write_videos(video_base / folder, pop, key, seconds, seed=i)


def _write_videos(folder: Path, pop: str, key: str, seconds: float, seed: int) -> None:
    from avbench.recipes.ave.media import write_toy_video

    room, rest = key.split("_array_")
    for cam in (1, 2, 3, 4):
        if cam in MISSING.get((pop, key), ()):
            continue
        path = folder / f"{room}_webcam{cam}_{rest}.mp4"
        if cam in BROKEN.get((pop, key), ()):
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(np.random.default_rng(seed).integers(0, 256, 2048, dtype=np.uint8).tobytes())
            continue
        write_toy_video(path, seed=(seed * 7 + cam * 40) % 200, seconds=int(seconds), fps=1, audio=False)
