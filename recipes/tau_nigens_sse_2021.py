"""``tau-nigens-sse-2021``: TAU-NIGENS Spatial Sound Events 2021 (DCASE 2021 Task 3).

600 development recordings in folds 1-6, released in ``dev-train/`` (folds 1-4), ``dev-val/`` (5) and
``dev-test/`` (6) sub-folders, and 200 evaluation recordings; 60 s, FOA and MIC at 24 kHz, 12 classes
and unlabelled directional interferers. Zenodo 5476980 (v1.2.0). Splits ``fold1``-``fold6``, ``eval``
and the setup ``dev-train`` / ``dev-val`` / ``dev-test``. Task ``tau-nigens-sse-2021-seld``
(``seld-dcase2021``) on ``eval``.

Shared code and the layout: :mod:`avbench.recipes.dcase_seld`; data: ``dcase_seld/index/tau_nigens_sse_2021.json``.
"""

from __future__ import annotations

from avbench.recipes.dcase_seld import SeldRecipe

__all__ = ["RECIPE", "TauNigensSse2021Recipe"]


class TauNigensSse2021Recipe(SeldRecipe):
    """The ``tau-nigens-sse-2021`` recipe (see the module docstring)."""

    index_name = "tau_nigens_sse_2021"


RECIPE = TauNigensSse2021Recipe()
