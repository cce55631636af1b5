"""``desed-multienc``: multi-encoder Transformer of paper 002: audio and visual encoders mixed per clip (audio weight 1 without video), frame-wise sigmoids.

Network: :class:`avbench.baselines._nets.MultiEncoder` (paper 002: 3 encoder + 3 decoder blocks, 3 heads,
d_k 128, feed-forward 512; here 2 blocks of width 64 on synth).

Targets: DESED (public-eval with video) PSDS1 / PSDS2 0.3891 / 0.6144 for the Transformer with audio + VGG16 encoders, train weights 0.5 / 0.5, inference 0.875 / 0.125 (paper 002, Table 5; mean of 20 runs). Paper 002's mean-teacher training on unlabelled clips is not reproduced.
Settings: ``configs/desed-multienc.yaml`` (one block per task; ``avbench train --baseline desed-multienc --task TASK``).

Example:
    >>> BASELINE.name, BASELINE.tasks
    ('desed-multienc', ('synth-sed',))
"""

from __future__ import annotations

from avbench.baseline import TorchBaseline

__all__ = ["BASELINE"]


class _Baseline(TorchBaseline):
    name = "desed-multienc"
    description = "multi-encoder Transformer of paper 002: audio and visual encoders mixed per clip (audio weight 1 without video), frame-wise sigmoids"
    dataset = "synth"
    tasks = ("synth-sed",)
    targets = ("DESED (public-eval with video) PSDS1 / PSDS2 0.3891 / 0.6144 for the Transformer with audio + VGG16 encoders, train weights 0.5 / 0.5, inference 0.875 / 0.125 (paper 002, Table 5; mean of 20 runs). Paper 002's mean-teacher training on unlabelled clips is not reproduced.")

    network = "MultiEncoder"
    network_defaults = {}


BASELINE = _Baseline()
