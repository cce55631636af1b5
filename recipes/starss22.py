"""``starss22``: STARSS22 (DCASE 2022 Task 3).

121 real recordings (30 s to several minutes) of 13 classes in ``dev-train-sony`` (40),
``dev-train-tau`` (27), ``dev-test-sony`` (30), ``dev-test-tau`` (24); FOA and MIC at 24 kHz; frame
metadata at 100 ms. Zenodo 6387880 (v1.0.0), md5 via soundata. The evaluation audio is not indexed
(its record and digests were not found). Splits ``dev-train`` (fold 3) and ``dev-test`` (fold 4);
task ``starss22-seld`` (``seld-dcase2022``) on ``dev-test``. Durations come from the WAV headers
(without audio: the end of the last labelled frame, a lower bound).

Shared code and the layout: :mod:`avbench.recipes.dcase_seld`; data: ``dcase_seld/index/starss22.json``.
"""

from __future__ import annotations

from avbench.recipes.dcase_seld import SeldRecipe

__all__ = ["RECIPE", "Starss22Recipe"]


class Starss22Recipe(SeldRecipe):
    """The ``starss22`` recipe (see the module docstring)."""

    index_name = "starss22"


RECIPE = Starss22Recipe()
