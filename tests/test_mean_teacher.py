"""Mean-teacher training (:class:`avbench.training.MeanTeacher`, ``mean_teacher:`` of a training config)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avbench.errors import InputError
from avbench.training import MeanTeacher, MeanTeacherConfig, TrainConfig

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


def _params(m) -> list[np.ndarray]:  # noqa: ANN001
    return [p.detach().clone().numpy() for p in m.parameters()]


@pytest.mark.parametrize("ema", [0.999, 0.6])
def test_the_teacher_is_the_ema_of_the_student(ema: float) -> None:
    """By hand: ``T_k = a_k T_(k-1) + (1 - a_k) S_k``, ``a_k = min(1 - 1 / (k + 1), ema)``, ``T_0 = S_0``;
    with 0.999 the first steps are the running mean (a = 1/2, 2/3, 3/4, ...), with 0.6 the cap bites
    from step 2; the batch-norm buffers follow the student's."""
    torch.manual_seed(0)
    student = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    mt = MeanTeacher(student, MeanTeacherConfig(ema=ema))
    assert all(not p.requires_grad for p in mt.teacher.parameters())
    expected = _params(student)
    opt = torch.optim.SGD(student.parameters(), lr=0.5)
    for k in range(1, 6):
        loss = student(torch.randn(8, 3)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        a = mt.update()
        assert a == pytest.approx(min(1 - 1 / (k + 1), ema))
        expected = [a * t + (1 - a) * s for t, s in zip(expected, _params(student))]
        for got, want in zip(_params(mt.teacher), expected):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert not all(np.allclose(t, s) for t, s in zip(_params(mt.teacher), _params(student)))
    for tb, sb in zip(mt.teacher.buffers(), student.buffers()):
        assert torch.equal(tb, sb)


def test_ramp_up_of_the_consistency_weight() -> None:
    mt = MeanTeacher(torch.nn.Linear(2, 2), MeanTeacherConfig(consistency=2.0, warmup=50))
    assert mt.weight(0) == pytest.approx(2.0 * np.exp(-5.0))
    assert mt.weight(25) == pytest.approx(2.0 * np.exp(-5.0 * 0.25))
    assert mt.weight(50) == mt.weight(80) == pytest.approx(2.0)


def test_bad_options_are_one_line_errors() -> None:
    with pytest.raises(InputError, match="mean_teacher: unknown key"):
        TrainConfig.from_dict({"mean_teacher": {"emma": 0.9}})
    with pytest.raises(InputError, match=r"ema must be in \[0, 1\)"):
        TrainConfig.from_dict({"mean_teacher": {"ema": 1.0}})


def test_the_crnn_trains_with_a_mean_teacher(synth_small: Path) -> None:
    """desed-crnn's synth configuration with a mean teacher (the training split also as unlabelled
    clips: synth has no unlabelled split): the teacher is what is selected and predicts, it is not the
    student, and it beats the prior; with ``ema: 0`` the teacher is the student exactly."""
    from avbench import registry
    from avbench.cli.demo import _prior_predictions
    from avbench.evaluation import evaluate_predictions
    from avbench.training import fit, predict

    base = registry.baseline("desed-crnn")
    task = registry.task("synth-sed")
    # ema 0.9: over these ~40 steps a 0.999 teacher is the running mean of every iterate since the start
    # (a = 1 - 1 / (k + 1) until step 1000), far behind the student (event F 0.33 after 15 epochs vs 0.72 at 0.9)
    cfg = {**base.config_for(task.id), "epochs": 8,
           "mean_teacher": {"unlabeled_split": "train", "warmup": 3, "ema": 0.9}}
    trained = fit(task, base.factory, TrainConfig.from_dict(cfg), synth_small, seed=0)
    assert trained.module is not trained.student
    assert not all(np.allclose(t, s) for t, s in zip(_params(trained.module), _params(trained.student)))
    preds = predict(trained, "test")
    rep = evaluate_predictions(preds, reference=synth_small)
    prior = evaluate_predictions(_prior_predictions(task, registry.dataset("synth").load(synth_small, split="train"),
                                                    registry.dataset("synth").load(synth_small, split="test")),
                                 reference=synth_small)
    key = registry.metric(task.metrics[0].id).primary
    assert rep.results[0].overall[key] > prior.results[0].overall[key] + 0.1, (rep.results[0].overall, key)

    same = fit(task, base.factory, TrainConfig.from_dict({**cfg, "epochs": 1, "max_steps": 2,
                                                          "mean_teacher": {"ema": 0.0, "unlabeled_split": "train"}}),
               synth_small, seed=0)
    for t, s in zip(_params(same.module), _params(same.student)):
        np.testing.assert_array_equal(t, s)


def test_mean_teacher_is_for_frame_wise_detection(synth_small: Path) -> None:
    from avbench import registry
    from avbench.training import fit

    with pytest.raises(InputError, match="mean_teacher: trains frame-wise event-detection models"):
        fit(registry.task("synth-scene"), registry.baseline("scene-avmlp").factory,
            TrainConfig.from_dict({"epochs": 1, "mean_teacher": {"ema": 0.9}}), synth_small)
