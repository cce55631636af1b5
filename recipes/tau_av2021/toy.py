"""A tiny TAU Urban Audio-Visual Scenes 2021 development set in the released layout.

Three scenes, two cities, nine locations, two 10-s recordings per location::

    location          scene    fold1      recordings      video
    lisbon-1 .. -2    airport  train      <loc>-10, -11   yes
    vienna-4 .. -5    bus      train      ...             yes
    lisbon-7, -8      park     train      ...             -8-11 missing
    lisbon-3          airport  evaluate
    vienna-6          bus      evaluate                   -6-61 missing
    vienna-9          park     evaluate

Audio is stereo 16-bit PCM at 1 kHz (a tone whose pitch encodes the scene); videos (extra
``video``) are 32x32 at 1 fps without sound from :func:`avbench.recipes.ave.media.write_toy_video`, written when
PyAV is installed. The validation carve (seed 2021) holds out one location per scene.

Example:
    >>> [r.split("\\t")[0] for r in TOY_TRAIN[:2]]
    ['audio/airport-lisbon-1-10.wav', 'audio/airport-lisbon-1-11.wav']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avbench.io import atomic_write_text
from avbench.recipes.tau_av2021.metadata import set_dir

__all__ = ["TOY_TRAIN", "TOY_EVALUATE", "write_toy", "toy_rows"]

_LOCATIONS = [("airport", "lisbon", 1, "train"), ("airport", "lisbon", 2, "train"), ("airport", "lisbon", 3, "evaluate"),
              ("bus", "vienna", 4, "train"), ("bus", "vienna", 5, "train"), ("bus", "vienna", 6, "evaluate"),
              ("park", "lisbon", 7, "train"), ("park", "lisbon", 8, "train"), ("park", "vienna", 9, "evaluate")]
MISSING_VIDEO = ("park-lisbon-8-81", "bus-vienna-6-61")
FS = 1000
HEADER = "filename_audio\tfilename_video\tscene_label"


def toy_rows() -> list[tuple[str, str, str, str]]:
    """``(stem, scene, identifier, fold)`` for every toy recording, in file order."""
    return [(f"{scene}-{city}-{loc}-{10 * loc + k}", scene, f"{city}-{loc}", fold)
            for scene, city, loc, fold in _LOCATIONS for k in (0, 1)]


def _line(stem: str, scene: str) -> str:
    return f"audio/{stem}.wav\tvideo/{stem}.mp4\t{scene}"


TOY_TRAIN = [_line(s, sc) for s, sc, _, f in toy_rows() if f == "train"]
TOY_EVALUATE = [_line(s, sc) for s, sc, _, f in toy_rows() if f == "evaluate"]


def _have_av() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def write_toy(root: Path, *, media: bool = True) -> None:
    """Write the toy development set under ``root`` (see the module docstring)."""
    import soundfile as sf

    base = set_dir(root, "development")
    meta = [f"{HEADER}\tidentifier"] + [f"{_line(s, sc)}\t{ident}" for s, sc, ident, _ in toy_rows()]
    atomic_write_text(base / "meta.csv", "\n".join(meta) + "\n")
    setup = base / "evaluation_setup"
    atomic_write_text(setup / "fold1_train.csv", "\n".join([HEADER, *TOY_TRAIN]) + "\n")
    atomic_write_text(setup / "fold1_evaluate.csv", "\n".join([HEADER, *TOY_EVALUATE]) + "\n")
    atomic_write_text(setup / "fold1_test.csv", "\n".join(["filename_audio\tfilename_video",
                                                           *(r.rsplit("\t", 1)[0] for r in TOY_EVALUATE)]) + "\n")
    if not media:
        return
    t = np.arange(10 * FS) / FS
    scenes = sorted({sc for _, sc, _, _ in toy_rows()})
    with_video = _have_av()
    for stem, scene, _, _ in toy_rows():
        tone = 0.2 * np.sin(2 * np.pi * (100 + 50 * scenes.index(scene)) * t)
        (base / "audio").mkdir(parents=True, exist_ok=True)
        sf.write(base / "audio" / f"{stem}.wav", np.stack([tone, tone], axis=1), FS, subtype="PCM_16")
        if with_video and stem not in MISSING_VIDEO:
            from avbench.recipes.ave.media import write_toy_video

            write_toy_video(base / "video" / f"{stem}.mp4", seed=30 * scenes.index(scene), seconds=10, fps=1, audio=False)
