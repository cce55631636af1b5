"""``ave-audio``: audio-only AVE segment model: VGGish (or log-mel) segments -> bidirectional LSTM.

Network: :class:`avbench.baselines._nets.AVE` with ``fusion='audio'`` (its docstring gives the equations).
Inputs: on AVE the released VGGish ``[10, 128]`` and VGG-19 ``[10, 7, 7, 512]`` features
(``audio: features``, ``video: features``); on ``synth`` log-mel segment statistics and a small CNN
on each segment's mean frame. Segments without video take the audio-only path.

Targets: AVE supervised accuracy about 59.6 % with audio alone (paper 000, Table 6.4: AV-att fed an empty visual input, 59.58 %; DMRN 58.41 %).
Settings (``configs/ave-audio.yaml``, ``ave-supervised``): Adam lr 1e-3, batch 64, 300 epochs, selection
on the validation accuracy; ``ave-weakly-supervised`` trains on the clips' classes (``supervision: weak``).

Example:
    >>> BASELINE.name, BASELINE.tasks
    ('ave-audio', ('synth-ave',))
"""

from __future__ import annotations

from avbench.baseline import TorchBaseline

__all__ = ["BASELINE"]


class _Baseline(TorchBaseline):
    name = "ave-audio"
    description = "audio-only AVE segment model: VGGish (or log-mel) segments -> bidirectional LSTM"
    dataset = "synth"
    tasks = ("synth-ave",)
    targets = "AVE supervised accuracy about 59.6 % with audio alone (paper 000, Table 6.4: AV-att fed an empty visual input, 59.58 %; DMRN 58.41 %)."

    network = "AVE"
    network_defaults = {"fusion": "audio"}


BASELINE = _Baseline()
