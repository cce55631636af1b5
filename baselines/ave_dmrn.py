"""``ave-dmrn``: DMRN: dual multimodal residual fusion of the audio and visual LSTM states, segment classes.

Network: :class:`avbench.baselines._nets.AVE` with ``fusion='dmrn'`` (its docstring gives the equations).
Inputs: on AVE the released VGGish ``[10, 128]`` and VGG-19 ``[10, 7, 7, 512]`` features
(``audio: features``, ``video: features``); on ``synth`` log-mel segment statistics and a small CNN
on each segment's mean frame. Segments without video take the audio-only path.

Targets: AVE supervised accuracy 73.08 % (DMRN with VGGish + VGG-19 reproduced in paper 000, Tables 6.3-6.4).
Settings (``configs/ave-dmrn.yaml``, ``ave-supervised``): Adam lr 1e-3, batch 64, 300 epochs, selection
on the validation accuracy; ``ave-weakly-supervised`` trains on the clips' classes (``supervision: weak``).

Example:
    >>> BASELINE.name, BASELINE.tasks
    ('ave-dmrn', ('synth-ave',))
"""

from __future__ import annotations

from avbench.baseline import TorchBaseline

__all__ = ["BASELINE"]


class _Baseline(TorchBaseline):
    name = "ave-dmrn"
    description = "DMRN: dual multimodal residual fusion of the audio and visual LSTM states, segment classes"
    dataset = "synth"
    tasks = ("synth-ave",)
    targets = "AVE supervised accuracy 73.08 % (DMRN with VGGish + VGG-19 reproduced in paper 000, Tables 6.3-6.4)."

    network = "AVE"
    network_defaults = {"fusion": "dmrn"}


BASELINE = _Baseline()
