"""``avecl-umons``: AVECL-UMONS, the SECL-UMONS events seen by four webcams (Brousmiche et al.).

The same 11 classes, 2,662 unilabel and 2,724 multilabel sequences as :mod:`avbench.recipes.secl_umons`,
filmed by four Logitech C920 webcams in the room corners (20 fps, 1920x1080); each event is in the
field of view of at least one of them. The recipe pairs the array audio of the SECL-UMONS record
(``secl/``) with the webcam videos and visibility flags of the AVECL-UMONS record (``avecl/``), both
resolved through the Zenodo API by title. Parts: ``meta``, ``audio`` (the SECL-UMONS record),
``video`` (the AVECL-UMONS record).

Masks per sequence:

- ``meta["visible"]``: per camera (``webcam1`` .. ``webcam4``), whether an event of the sequence is
  in its field of view (the metadata flags);
- ``meta["videos"]`` / ``meta["video_status"]``: each camera's video and whether it decodes
  (``ok``, ``missing``, or why not: probed with PyAV by ``prepare`` into
  ``avbench/video_status.json``; ``unknown`` when present but never probed);
- ``cameras``: camera ``c`` is usable for the event: visible and its video decodes;
- ``has_video``: ``True`` when some camera is usable; ``None`` (unknown) when no video part is on
  disk, or no camera is usable but a camera that sees the event was never probed; else ``False``.

Tasks: the ``seld-umons`` tasks of SECL-UMONS on the same splits (``avecl-umons-<scheme>``,
audio-visual classification and localization, thesis Tables 11.3-11.4) and audio-visual
classification (``avecl-umons-<population>-split<k>-classification``: unilabel one class per sequence,
multilabel a score per class thresholded at 0.5; F1 micro = the thesis' F-score, and macro), each
report stratified by video availability and, per camera, by whether it is usable for the event.

Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "avecl"
    >>> RECIPE.make_toy(root)
    >>> c = RECIPE.load(root)["unilabel-room1_array_0_1_1"]
    >>> dict(c.meta["visible"]), dict(c.cameras), c.has_video
    ({'webcam1': False, 'webcam2': True, 'webcam3': False, 'webcam4': True}, {'webcam1': False, 'webcam2': True, 'webcam3': False, 'webcam4': False}, True)
    >>> RECIPE.load(root)["multilabel-room2_array_4_4_1"].has_video
    False
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avbench.io import read_json, write_json
from avbench.model import Clip, Task, TaskKind
from avbench.recipes.secl_umons import UmonsRecipe
from avbench.recipes.secl_umons.layout import SequenceRow, layout, scan_media

__all__ = ["RECIPE", "AveclUmonsRecipe", "STATUS_FILE"]

STATUS_FILE = "avbench/video_status.json"


class AveclUmonsRecipe(UmonsRecipe):
    """The AVECL-UMONS recipe: SECL-UMONS audio paired with four webcam videos (module docstring)."""

    name = "avecl-umons"
    version = "1.0"
    title = "AVECL-UMONS: audio-visual event classification and localization (array + four webcams)"
    homepage = "https://zenodo.org/record/3965492"
    license = "see the Zenodo records (not stated in the thesis or the README)"
    citation = ("M. Brousmiche. Cross-Modal Interaction in Deep Neural Networks for Audio-Visual Event "
                "Classification and Localization. PhD thesis, UMONS / Universite de Sherbrooke, 2021; "
                "arXiv:2011.01018.")
    parts = ("meta", "audio", "video")
    default_parts = ("meta", "audio", "video")
    record_kinds = ("secl", "avecl")
    task_prefix = "avecl-umons"

    def after_fetch(self, root: Path, *, warn: bool = True) -> None:
        """Probe every webcam video (when PyAV is installed), then count and write the manifest."""
        try:
            from avbench.extras import require

            require("av", "video")
        except ImportError:
            pass
        else:
            self.probe_videos(root)
        super().after_fetch(root, warn=warn)

    def probe_videos(self, root: Path) -> dict[str, str]:
        """Decode one frame of every webcam video and write :data:`STATUS_FILE` atomically."""
        from avbench.recipes.ave.media import probe_video

        status = {rel: probe_video(Path(root) / rel)
                  for table in scan_media(Path(root))["video"].values() for rel in table.values()}
        write_json(Path(root) / STATUS_FILE, dict(sorted(status.items())))
        return status

    def load(self, root: Path, *, split: str | None = None) -> dict[str, Clip]:
        path = Path(root) / STATUS_FILE
        self._status = read_json(path) if path.is_file() else {}
        return super().load(root, split=split)

    def _clip(self, root: Path, s: SequenceRow, media: dict[str, Any], **extra: Any) -> Clip:
        videos = self._media(media["video"], s)
        status = getattr(self, "_status", {})
        cams = list(layout()["webcams"])
        visible = {c: any(e.cameras.get(c, False) for e in s.events) for c in cams}
        states = {c: (status.get(videos[c], "unknown") if c in videos else "missing") for c in cams}
        usable = {c: visible[c] and states[c] == "ok" for c in cams}
        has_video: bool | None = any(usable.values())
        if not media["video"] or (not has_video and any(visible[c] and states[c] == "unknown" for c in cams)):
            has_video = None  # no video part on disk, or the seen cameras' videos were never probed
        return super()._clip(root, s, media, video=videos.get(next((c for c in cams if usable[c]), ""), None),
                             has_video=has_video, cameras=usable,
                             meta={"visible": visible, "videos": dict(sorted(videos.items())),
                                   "video_status": states})

    def tasks(self) -> list[Task]:
        out = self.seld_tasks()
        for k in (1, 2):
            out.append(Task(
                f"{self.task_prefix}-unilabel-split{k}-classification", self.name, TaskKind.CLIP_CLASSIFICATION,
                self.classes, ("f1_micro", "f1_macro", "accuracy"), split=f"unilabel-split{k}-test",
                description=f"Audio-visual classification of the unilabel sequences of unilabel-split{k} (one class "
                "per sequence from the array audio and the four webcams; thesis Table 11.1, F-score = f1_micro). "
                "Reports are stratified by video availability and by each camera's view of the event. Select "
                f"models on unilabel-split{k}-val."))
        for k in (1, 2):
            out.append(Task(
                f"{self.task_prefix}-multilabel-split{k}-classification", self.name, TaskKind.TAGGING, self.classes,
                ("f1_multilabel_micro", "f1_multilabel_macro", "map"), split=f"multilabel-split{k}-test",
                description=f"Audio-visual classification of the two-event sequences of multilabel-split{k}: a "
                "score per class (clip_scores), a class is predicted above 0.5 (thesis Table 11.2, F-score = "
                "f1_multilabel_micro). Reports are stratified by video availability and per camera. Select "
                f"models on multilabel-split{k}-val."))
        return out

    def make_toy(self, root: Path) -> None:
        """The simulated toy with webcam videos (see :mod:`avbench.recipes.secl_umons.toy`)."""
        from avbench.recipes.secl_umons.toy import write_toy

        write_toy(Path(root), with_video=True)
        self.after_fetch(Path(root), warn=False)


RECIPE = AveclUmonsRecipe()
