"""``ave-visual``: visual-only AVE segment model: pooled VGG-19 (or CNN) maps -> bidirectional LSTM.

Network: :class:`avbench.baselines._nets.AVE` with ``fusion='visual'`` (its docstring gives the equations).
Inputs: on AVE the released VGGish ``[10, 128]`` and VGG-19 ``[10, 7, 7, 512]`` features
(``audio: features``, ``video: features``); on ``synth`` log-mel segment statistics and a small CNN
on each segment's mean frame. Segments without video take the audio-only path.

Targets: AVE supervised accuracy about 53-57 % with vision alone (paper 000, Table 6.3: AV-att fed an empty audio input, 53 %; DMRN 57 %).
Settings (``configs/ave-visual.yaml``, ``ave-supervised``): Adam lr 1e-3, batch 64, 300 epochs, selection
on the validation accuracy; ``ave-weakly-supervised`` trains on the clips' classes (``supervision: weak``).

Example:
    >>> BASELINE.name, BASELINE.tasks
    ('ave-visual', ('synth-ave',))
"""

from __future__ import annotations

from avbench.baseline import TorchBaseline

__all__ = ["BASELINE"]


class _Baseline(TorchBaseline):
    name = "ave-visual"
    description = "visual-only AVE segment model: pooled VGG-19 (or CNN) maps -> bidirectional LSTM"
    dataset = "synth"
    tasks = ("synth-ave",)
    # synth's camera sees only the sources in its 120-degree view, so most event segments are invisible
    # and segment accuracy stays near the background prior; the macro F1 shows what vision adds
    contract_metric = "f1_macro"
    targets = "AVE supervised accuracy about 53-57 % with vision alone (paper 000, Table 6.3: AV-att fed an empty audio input, 53 %; DMRN 57 %)."

    network = "AVE"
    network_defaults = {"fusion": "visual"}


BASELINE = _Baseline()
