"""``desed-crnn``: CRNN like the DCASE Task 4 baseline: CNN blocks on the log-mel, bidirectional GRU, frame-wise sigmoids.

Network: :class:`avbench.baselines._nets.CRNN` (on DESED: 7 blocks 16-32-64-128-128-128-128, pools
(2,2)x3 then (1,2), GRU 2x128, 128 mel bands, as the Task 4 baseline).

Targets: DESED dev-test PSDS1 / PSDS2 0.353 / 0.553 (Task 4 baseline 2021; 0.336 / 0.536 in 2022, 0.349 / 0.544 in 2023: notes/hosting-2026.md). Trained, as the DCASE baseline, with a mean teacher on the weak and unlabelled clips (``mean_teacher:`` in configs/desed-crnn.yaml, :class:`avbench.training.MeanTeacher`); the Task 4 CRNN attention pooling and GLU gates are left out (clip-level outputs by linear-softmax pooling), so expect somewhat lower numbers.
Settings: ``configs/desed-crnn.yaml`` (one block per task; ``avbench train --baseline desed-crnn --task TASK``).

Example:
    >>> BASELINE.name, BASELINE.tasks
    ('desed-crnn', ('synth-sed',))
"""

from __future__ import annotations

from avbench.baseline import TorchBaseline

__all__ = ["BASELINE"]


class _Baseline(TorchBaseline):
    name = "desed-crnn"
    description = "CRNN like the DCASE Task 4 baseline: CNN blocks on the log-mel, bidirectional GRU, frame-wise sigmoids"
    dataset = "synth"
    tasks = ("synth-sed",)
    targets = ('DESED dev-test PSDS1 / PSDS2 0.353 / 0.553 (Task 4 baseline 2021; 0.336 / 0.536 in 2022, 0.349 / 0.544 in 2023: notes/hosting-2026.md). Trained, as the DCASE baseline, with a mean teacher on the weak and unlabelled clips (``mean_teacher:`` in configs/desed-crnn.yaml, :class:`avbench.training.MeanTeacher`); the Task 4 CRNN attention pooling and GLU gates are left out (clip-level outputs by linear-softmax pooling), so expect somewhat lower numbers.')

    network = "CRNN"
    network_defaults = {}


BASELINE = _Baseline()
