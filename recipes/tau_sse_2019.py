"""``tau-sse-2019``: TAU Spatial Sound Events 2019 (DCASE 2019 Task 3).

400 development recordings (4 folds named ``split1``-``split4`` in the file names, 100 each) and 100
evaluation recordings (``split0_<n>``, labels released), 60 s each, FOA and MIC at 48 kHz, 11
classes, stationary sources, up to two overlapping. Metadata: one row per event with onset/offset in
seconds, elevation/azimuth on a 10-degree grid and distance (1 or 2 m).
Hosting: Zenodo 2599196 (development: ``foa_dev.z01/.z02/.zip``, ``mic_dev.z01/.zip``,
``metadata_dev.zip``) and 3377088 (evaluation), md5 from the records (via soundata).
Splits ``fold1``-``fold4`` and ``eval``; task ``tau-sse-2019-seld`` (``seld-dcase2019``) on ``eval``.

Shared code and the layout: :mod:`avbench.recipes.dcase_seld`; data: ``dcase_seld/index/tau_sse_2019.json``.
"""

from __future__ import annotations

from avbench.recipes.dcase_seld import SeldRecipe

__all__ = ["RECIPE", "TauSse2019Recipe"]


class TauSse2019Recipe(SeldRecipe):
    """The ``tau-sse-2019`` recipe (see the module docstring)."""

    index_name = "tau_sse_2019"


RECIPE = TauSse2019Recipe()
