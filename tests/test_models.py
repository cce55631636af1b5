"""The plug-in contract (:mod:`avbench.models`) without torch: output kinds, factory loading, imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.models import load_factory, outputs_to_arrays


def test_outputs_become_probabilities_by_kind() -> None:
    seg = outputs_to_arrays("segment-classification", np.zeros((2, 10, 4)), n_classes=3)["probs"]
    assert seg.shape == (2, 10, 4) and np.allclose(seg.sum(-1), 1.0)
    tags = outputs_to_arrays("multi-label-tagging", np.zeros((2, 3)), n_classes=3)["probs"]
    assert np.allclose(tags, 0.5)
    with pytest.raises(InputError, match="expected 3 axes ending in 4"):
        outputs_to_arrays("segment-classification", np.zeros((2, 10, 3)), n_classes=3)


def test_localization_outputs_accdoa_multi_accdoa_and_dict() -> None:
    acc = np.zeros((1, 2, 2, 3))
    acc[0, 0, 1] = [0.0, 0.8, 0.0]  # frame 0, class 1: active 0.8 towards +y (azimuth 90)
    out = outputs_to_arrays("event-localization", acc, n_classes=2)
    assert out["probs"][0, 0].tolist() == pytest.approx([0.0, 0.8])
    assert out["doa"][0, 0, 1].tolist() == pytest.approx([0.0, 1.0, 0.0])
    multi = np.zeros((1, 2, 3, 2, 3))
    multi[0, 0, 2, 1] = [0.9, 0.0, 0.0]  # track 2 holds the source
    multi[0, 0, 0, 1] = [0.0, 0.1, 0.0]
    m = outputs_to_arrays("event-localization", multi, n_classes=2)
    assert m["probs"][0, 0, 1] == pytest.approx(0.9) and m["doa"][0, 0, 1].tolist() == pytest.approx([1, 0, 0])
    d = outputs_to_arrays("event-localization", {"logits": np.zeros((1, 2, 2)), "doa": acc}, n_classes=2)
    assert np.allclose(d["probs"], 0.5)
    with pytest.raises(InputError, match="needs 'logits' and 'doa'"):
        outputs_to_arrays("event-localization", {"scores": 1}, n_classes=2)


def test_factories_load_from_modules_and_files(tmp_path: Path) -> None:
    f = tmp_path / "mine.py"
    f.write_text("def build(spec):\n    return spec\nVALUE = 3\n")
    assert load_factory(f"{f}:build")("x") == "x"
    with pytest.raises(InputError, match="not callable"):
        load_factory(f"{f}:VALUE")
    with pytest.raises(InputError, match="must follow the HEAR API; it lacks load_model"):
        load_factory("avbench.io")
    with pytest.raises(InputError, match="no file"):
        load_factory(f"{tmp_path / 'none.py'}:f")


def test_the_core_and_the_cli_do_not_import_torch(tmp_path: Path) -> None:
    code = ("import sys, avbench.torch, avbench.models, avbench.training, avbench.runs, avbench.postprocess\n"
            "import avbench.cli, avbench.registry as r\nr.baselines()\nprint('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
