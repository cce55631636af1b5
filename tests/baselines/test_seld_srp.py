"""The classical SELD baseline ``seld-srp`` and the shared DOA code (:mod:`avbench.baselines._doa`).

Measured here (``synth`` small, 36 training clips, test split, while writing this; fit + predict
about 4 s each): SRP-PHAT seld-umons F 1.00, DOA error 4.5 deg, seld-dcase2022 F20 0.73, LE 14.3 deg;
MUSIC seld-umons DOA error 9.0 deg, LE 20.8 deg; the prior predictor of ``avbench demo`` has F 0.32
and DOA error 79.9 deg (seld-umons), F20 0.0 (seld-dcase2022).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal as sps

from avbench import registry
from avbench.baselines._doa import GEOMETRIES, doa_search, localize_events
from avbench.baselines.seld_srp import BASELINE, SeldSrp
from avbench.cli.demo import _prior_predictions
from avbench.errors import InputError
from avbench.evaluation import evaluate_predictions
from avbench.recipes.synth import RECIPE
from avbench.recipes.synth.sounds import synth_signal

TASK = {t.id: t for t in RECIPE.tasks()}["synth-seld"]


def _overall(report, metric: str) -> dict[str, float]:  # noqa: ANN001
    return next(r.overall for r in report.results if r.id == metric)


def test_registered_for_the_seld_tasks() -> None:
    assert registry.baseline("seld-srp") is BASELINE
    ids = {t.id for t in registry.tasks().values()}
    cfgs = BASELINE.configs()
    assert set(cfgs) <= ids, set(cfgs) - ids
    assert {"synth-seld", "starss23-seld"} <= set(cfgs)
    assert any(t.startswith("secl-umons-") for t in cfgs)
    assert BASELINE.settings("starss23-seld").geometry == "tetra-em32"
    assert BASELINE.settings("starss23-seld").format == "mic"


@pytest.mark.parametrize("algorithm", ["SRP", "MUSIC"])
def test_beats_chance_on_detection_and_direction(algorithm: str, synth_small: Path) -> None:
    model = SeldSrp().fit(RECIPE, synth_small, config={"algorithm": algorithm})
    preds = model.predict(RECIPE, synth_small, TASK, split="test")
    preds.validate(TASK)
    rep = evaluate_predictions(preds, reference=synth_small)
    prior = evaluate_predictions(_prior_predictions(TASK, RECIPE.load(synth_small, split="train"),
                                                    RECIPE.load(synth_small, split="test")), reference=synth_small)
    umons, p_umons = _overall(rep, "seld-umons"), _overall(prior, "seld-umons")
    dcase, p_dcase = _overall(rep, "seld-dcase2022"), _overall(prior, "seld-dcase2022")
    assert umons["f1"] > p_umons["f1"] + 0.4, (umons, p_umons)
    assert umons["localization_error"] < 25.0 < p_umons["localization_error"] - 30.0, (umons, p_umons)
    assert dcase["f1"] > p_dcase["f1"] + 0.4, (dcase, p_dcase)
    assert dcase["localization_error"] < 30.0, dcase
    assert preds.model["settings"]["algorithm"] == algorithm


def _render(geom_name: str, az: float, el: float, fs: int = 16000) -> np.ndarray:
    """One white-ish source 2 m away in a lightly reverberant room, recorded by ``geom_name``."""
    import pyroomacoustics as pra

    centre = np.array([3.0, 2.5, 1.5])
    room = pra.ShoeBox([6.0, 5.0, 3.0], fs=fs, materials=pra.Material(0.6), max_order=1)
    a, e = np.deg2rad(az), np.deg2rad(el)
    src = centre + 2.0 * np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
    rng = np.random.default_rng(int(abs(az) * 10 + abs(el)))
    room.add_source(src, signal=synth_signal("hiss", 1.0, rng) + 0.3 * rng.standard_normal(fs))
    room.add_microphone_array(GEOMETRIES[geom_name].mics + centre[:, None])
    room.simulate()
    return room.mic_array.signals[:, :fs]


def _angle(az1: float, el1: float, az2: float, el2: float) -> float:
    def vec(a: float, e: float) -> np.ndarray:
        a, e = np.deg2rad(a), np.deg2rad(e)
        return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])

    return float(np.rad2deg(np.arccos(np.clip(vec(az1, el1) @ vec(az2, el2), -1.0, 1.0))))


@pytest.mark.parametrize("geom_name,fmax", [("uma8", 7000.0), ("tetra-em32", 3000.0)])
@pytest.mark.parametrize("algorithm", ["SRP", "MUSIC"])
def test_doa_search_finds_rendered_sources(geom_name: str, fmax: float, algorithm: str) -> None:
    """Directions around the array, below the plane too for the tetrahedron (great-circle error); the
    planar UMA-8 resolves elevation poorly near its plane, so it is scored on azimuth (as SECL-UMONS is)."""
    geom = GEOMETRIES[geom_name]
    errors = []
    for az, el in [(-150.0, 10.0), (-60.0, 30.0), (20.0, 0.0), (100.0, 20.0), (170.0, -30.0)]:
        x = _render(geom_name, az, el)
        _, _, z = sps.stft(x, fs=16000, nperseg=512, noverlap=256)
        est_az, est_el = doa_search(z[:, :, 5:-5], geom, fs=16000, nfft=512, algorithm=algorithm, fmax=fmax,
                                    az_step=2.0, el_step=5.0)
        errors.append(_angle(est_az, est_el, az, el) if geom_name == "tetra-em32"
                      else abs((est_az - az + 180.0) % 360.0 - 180.0))
    assert np.mean(errors) < 12.0 and max(errors) < 25.0, errors


def test_localize_events_cuts_blocks_and_checks_channels() -> None:
    x = _render("tetra-em32", 60.0, 20.0)
    events = [{"onset": 0.0, "offset": 0.9, "label": "a"}]
    pieces = localize_events(x, 16000, events, GEOMETRIES["tetra-em32"], block=0.3, fmax=3000.0)
    assert [(p["onset"], p["offset"]) for p in pieces] == [(0.0, 0.3), (0.3, 0.6), (0.6, 0.9)]
    assert all(_angle(p["azimuth"], p["elevation"], 60.0, 20.0) < 20.0 for p in pieces), pieces
    with pytest.raises(InputError, match="4 channels but geometry 'uma8' has 7"):
        localize_events(x, 16000, events, GEOMETRIES["uma8"])


def test_bad_settings_are_one_line_errors() -> None:
    with pytest.raises(InputError, match="unknown key"):
        BASELINE.settings("synth-seld", {"geometri": "uma8"})
    with pytest.raises(InputError, match="geometry 'cube' is not known"):
        BASELINE.settings("synth-seld", {"geometry": "cube"})
    with pytest.raises(InputError, match="algorithm must be one of SRP, MUSIC"):
        BASELINE.settings("synth-seld", {"algorithm": "ESPRIT"})
    with pytest.raises(InputError, match="no configuration for task 'synth-sed'"):
        BASELINE.settings("synth-sed")
    with pytest.raises(InputError, match="call fit"):
        SeldSrp().predict(RECIPE, Path("."), TASK, split="test")
