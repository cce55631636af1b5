"""``seld-accdoa``: the DCASE SELD baseline shape: CNN + bidirectional GRUs with a multi-ACCDOA output (3 tracks).

Network: :class:`avbench.baselines._nets.SELDnet` with ``output: multi-accdoa`` (3 tracks x classes x
xyz, tanh; a permutation-free MSE: per class and frame the nearest track). On synth the GRUs also get
the GCC-PHAT of every microphone pair (``phase: gcc``, the DCASE MIC baseline's spatial input):
seld-umons DOA error 37 deg after 30 epochs on 36 clips (chance 90; measured while writing this).
On STARSS23 its configuration reads the MIC format (``format: mic``: the four tetrahedral capsules
and the GCC-PHAT of their pairs, as the MIC baseline); ``format: foa`` with ``model: {phase: raw}``
reads FOA instead (``phase: gcc`` on FOA is refused: its channels are no microphone pairs).

Targets: STARSS23 dev-test, MIC baseline: ER20 0.62, F20 27.8 %, LE 27.0 deg, LR 44.3 % (seld-dcase2023; FOA: 0.57 / 29.9 % / 21.6 deg / 47.7 %; notes/hosting-2026.md).
Settings: ``configs/seld-accdoa.yaml`` (one block per task; ``avbench train --baseline seld-accdoa --task TASK``).

Example:
    >>> BASELINE.name, BASELINE.tasks
    ('seld-accdoa', ('synth-seld',))
"""

from __future__ import annotations

from avbench.baseline import TorchBaseline

__all__ = ["BASELINE"]


class _Baseline(TorchBaseline):
    name = "seld-accdoa"
    description = "the DCASE SELD baseline shape: CNN + bidirectional GRUs with a multi-ACCDOA output (3 tracks)"
    dataset = "synth"
    tasks = ("synth-seld",)
    targets = ('STARSS23 dev-test, MIC baseline: ER20 0.62, F20 27.8 %, LE 27.0 deg, LR 44.3 % (seld-dcase2023; FOA: 0.57 / 29.9 % / 21.6 deg / 47.7 %; notes/hosting-2026.md).')

    network = "SELDnet"
    network_defaults = {"output": "multi-accdoa"}


BASELINE = _Baseline()
