"""``starss23``: STARSS23, audio-visual (DCASE 2023 / 2024 Task 3).

168 development recordings (``dev-train``: 90 in fold 3, ``dev-test``: 78 in fold 4) and 79
evaluation recordings (``mix001``-``mix079``, labels not released); FOA and MIC at 24 kHz, 13 classes;
360-degree equirectangular video, 1920x960 at 29.97 fps, in ``video_dev`` / ``video_eval`` (part
``video``). ``fold3_room21_mix001``-``012`` have audio but no video: ``has_video`` is False there and
wherever a video is missing or does not decode (probed at download). The 2024 release of the
metadata adds a sixth column, the source distance in cm, read into ``Event.distance`` in metres.
Zenodo 7709052 (development) and 7880637 (evaluation, a later version; no md5 published: the
records' own checksums are verified). Tasks ``starss23-seld``
(``seld-dcase2023``), ``starss23-seld-av`` (the DCASE 2023 audio-visual track, same metric, report
stratified by video availability), ``starss23-seld-distance`` and ``starss23-seld-av-distance``
(``seld-dcase2024``).

Shared code and the layout: :mod:`avbench.recipes.dcase_seld`; data: ``dcase_seld/index/starss23.json``.
"""

from __future__ import annotations

from avbench.recipes.dcase_seld import SeldRecipe

__all__ = ["RECIPE", "Starss23Recipe"]


class Starss23Recipe(SeldRecipe):
    """The ``starss23`` recipe (see the module docstring)."""

    index_name = "starss23"


RECIPE = Starss23Recipe()
