"""``tau-nigens-sse-2020``: TAU-NIGENS Spatial Sound Events 2020 (DCASE 2020 Task 3).

600 development recordings in folds 1-6 (``fold<k>_room<r>_mix<nnn>_ov<o>``) and 200 evaluation
recordings (``mix<nnn>``), 60 s each, FOA and MIC at 24 kHz, 14 NIGENS classes, moving sources,
frame metadata at 100 ms. Zenodo 4064792 (v1.2.0). Splits ``fold1``-``fold6`` and ``eval`` (disjoint),
plus the official development setup ``dev-train`` (folds 3-6), ``dev-val`` (2), ``dev-test`` (1), which
overlap the folds. Task ``tau-nigens-sse-2020-seld`` (``seld-dcase2020``) on ``eval``.

Shared code and the layout: :mod:`avbench.recipes.dcase_seld`; data: ``dcase_seld/index/tau_nigens_sse_2020.json``.
"""

from __future__ import annotations

from avbench.recipes.dcase_seld import SeldRecipe

__all__ = ["RECIPE", "TauNigensSse2020Recipe"]


class TauNigensSse2020Recipe(SeldRecipe):
    """The ``tau-nigens-sse-2020`` recipe (see the module docstring)."""

    index_name = "tau_nigens_sse_2020"


RECIPE = TauNigensSse2020Recipe()
