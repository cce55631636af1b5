"""``scene-avmlp``: audio-visual scene classification: audio- and visual-embedding MLPs with late (MEAN) fusion, as in paper 004.

Network: :class:`avbench.baselines._nets.SceneLateFusion` (paper 004's MLP head per modality, probabilities
averaged; on synth small encoders replace the pretrained PANN / ImageNet embeddings).

Targets: TAU Urban Audio-Visual Scenes 2021 development evaluation fold: official baseline log loss 0.658, accuracy 77.0 %; audio only 1.048 / 65.1 %, video only 1.648 / 64.9 % (paper 004 notes, DCASE 2021 Task 1B README).
Settings: ``configs/scene-avmlp.yaml`` (one block per task; ``avbench train --baseline scene-avmlp --task TASK``).

Example:
    >>> BASELINE.name, BASELINE.tasks
    ('scene-avmlp', ('synth-scene',))
"""

from __future__ import annotations

from avbench.baseline import TorchBaseline

__all__ = ["BASELINE"]


class _Baseline(TorchBaseline):
    name = "scene-avmlp"
    description = "audio-visual scene classification: audio- and visual-embedding MLPs with late (MEAN) fusion, as in paper 004"
    dataset = "synth"
    tasks = ("synth-scene",)
    targets = ('TAU Urban Audio-Visual Scenes 2021 development evaluation fold: official baseline log loss 0.658, accuracy 77.0 %; audio only 1.048 / 65.1 %, video only 1.648 / 64.9 % (paper 004 notes, DCASE 2021 Task 1B README).')

    network = "SceneLateFusion"
    network_defaults = {}


BASELINE = _Baseline()
