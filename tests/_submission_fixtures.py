"""Fixtures shared by tests/submission and tests/leaderboard (imported by their conftest.py):
a tiny generated synth benchmark (session scope, about 2 s), predictions made from its labels,
and a valid system description."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from avbench import registry
from avbench.predictions import Predictions

META: dict[str, Any] = {
    "system_name": "Reference CRNN",
    "authors": [
        {"name": "Ada Lovelace", "email": "ada@example.org", "affiliation": "Analytical Inst", "corresponding": True},
        {"name": "Charles Babbage", "affiliation": "Analytical Inst"},
    ],
    "contact": "ada@example.org",
    "description": "CRNN on log-mel features, trained on synth/train.",
    "code_url": "https://example.org/code",
    "training_data": ["synth/train"],
    "external_data": [],
    "parameters": 1200000,
    "dcase": {
        "abbreviation": "RefCRNN", "input_sampling_rate": 24000, "acoustic_features": "log-mel energies",
        "embeddings": "none", "data_augmentation": "none", "machine_learning_method": "CRNN",
        "ensemble_method_subsystem_count": 1, "decision_making": "threshold 0.5", "external_data_usage": "none",
    },
}


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<tmp>/synth``: the tiny synth benchmark (12 clips), generated once per session."""
    from avbench.recipes.synth import RECIPE

    root = tmp_path_factory.mktemp("data") / "synth"
    RECIPE.prepare(root, size="tiny", quiet=True)
    return root


def make_predictions(root: Path, task_id: str, split: str = "test", *, noise: float = 0.0, seed: int = 0) -> Predictions:
    """Predictions for ``task_id`` derived from the reference labels; ``noise`` is the fraction of
    clips whose answer is replaced by a wrong one (so systems get different scores)."""
    task = registry.task(task_id)
    recipe = registry.dataset(task.dataset)
    clips = recipe.reference(root, task, split)
    rng = random.Random(seed)
    preds = Predictions(task.dataset, task.id, split, model={"name": f"oracle-noise-{noise}"})
    for cid, clip in clips.items():
        wrong = rng.random() < noise
        if task.kind.value == "clip-classification":
            k = task.labels.index(clip.clip_labels[0])
            if wrong:
                k = (k + 1) % len(task.labels)
            scores = [0.1 / (len(task.labels) - 1)] * len(task.labels)
            scores[k] = 0.9
            preds.add(cid, clip_scores=scores)
        elif task.kind.value == "segment-classification":
            seg = list(clip.segment_labels or ())
            if wrong:
                seg = [len(task.labels)] * len(seg)
            preds.add(cid, segment_labels=seg)
        else:
            events = [] if wrong else [e.to_dict() for e in clip.events]
            preds.add(cid, events=events)
    return preds


@pytest.fixture()
def meta_file(tmp_path: Path) -> Path:
    import yaml

    path = tmp_path / "system.yaml"
    path.write_text(yaml.safe_dump(META, sort_keys=False))
    return path
