"""``ave-avatt``: AV-att (Tian et al. 2018): audio-guided visual attention + LSTMs, segment classes.

Network: :class:`avbench.baselines._nets.AVE` with ``fusion='att'`` (its docstring gives the equations).
Inputs: on AVE the released VGGish ``[10, 128]`` and VGG-19 ``[10, 7, 7, 512]`` features
(``audio: features``, ``video: features``); on ``synth`` log-mel segment statistics and a small CNN
on each segment's mean frame. Segments without video take the audio-only path.

Targets: AVE supervised accuracy 72.84 % (AV-att with VGGish + VGG-19 reproduced in paper 000, Tables 6.3-6.4; 72.8-73.1 % in notes/hosting-2026.md); weakly supervised: no AV-att figure in the notes (PSP, the stronger model, reports 73.5 %).
Settings (``configs/ave-avatt.yaml``, ``ave-supervised``): Adam lr 1e-3, batch 64, 300 epochs, selection
on the validation accuracy; ``ave-weakly-supervised`` trains on the clips' classes (``supervision: weak``).

Example:
    >>> BASELINE.name, BASELINE.tasks
    ('ave-avatt', ('synth-ave',))
"""

from __future__ import annotations

from avbench.baseline import TorchBaseline

__all__ = ["BASELINE"]


class _Baseline(TorchBaseline):
    name = "ave-avatt"
    description = "AV-att (Tian et al. 2018): audio-guided visual attention + LSTMs, segment classes"
    dataset = "synth"
    tasks = ("synth-ave",)
    targets = "AVE supervised accuracy 72.84 % (AV-att with VGGish + VGG-19 reproduced in paper 000, Tables 6.3-6.4; 72.8-73.1 % in notes/hosting-2026.md); weakly supervised: no AV-att figure in the notes (PSP, the stronger model, reports 73.5 %)."

    network = "AVE"
    network_defaults = {"fusion": "att"}


BASELINE = _Baseline()
