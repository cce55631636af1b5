"""The audio format of a multi-format SELD release (STARSS23: FOA and MIC) is a setting that the loader
honours, on the recipe's toy (the release's layout, both formats).

- ``format: mic`` / ``foa`` read that format's file; the default reads ``Clip.audio`` (FOA);
- each SELD baseline's STARSS23 configuration declares MIC (``seld-accdoa``: GCC-PHAT of the
  capsule pairs, as the DCASE MIC baseline; ``seld-srp``: SRP-PHAT / MUSIC on the capsules);
- a chosen format that is not on disk, a format of a release with one, and GCC-PHAT (or SRP) on FOA
  are one-line errors (exit 2) naming the setting and what to do, before anything is trained.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from _cli import run_cli
from avbench import registry
from avbench.errors import InputError

TINY = "epochs: 1\nmax_steps: 1\nbatch_size: 2\nmodel: {filters: 8, rnn: 8, fnn: 8}\n"


@pytest.fixture(scope="module")
def starss(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data") / "starss23"
    root.mkdir()
    registry.dataset("starss23").make_toy(root)
    return root


def _without_mic(starss: Path, tmp_path: Path) -> Path:
    root = tmp_path / "data" / "starss23"
    shutil.copytree(starss, root)
    shutil.rmtree(root / "mic_dev")
    return root


def test_shipped_starss_configs_declare_mic() -> None:
    assert registry.dataset("starss23").audio_formats == ("foa", "mic")
    accdoa = registry.baseline("seld-accdoa").config_for("starss23-seld")
    assert accdoa["format"] == "mic" and accdoa["model"]["phase"] == "gcc"
    assert registry.baseline("seld-srp").settings("starss23-seld").format == "mic"


@pytest.mark.torch
def test_the_loader_reads_the_chosen_format(starss: Path) -> None:
    pytest.importorskip("torch", reason="avbench.torch items need the [baselines] extra (torch)")
    from avbench.torch import dataset

    clip = next(iter(registry.dataset("starss23").load(starss, split="dev-train").values()))
    for fmt in ("foa", "mic", None):
        ds = dataset("starss23", "dev-train", root=starss, audio="waveform", video=None, format=fmt)
        want, _ = sf.read(starss / clip.meta["formats"][fmt or "foa"], dtype="float32", always_2d=True)
        got = ds[ds.clip_ids.index(clip.id)]["audio"].numpy()
        assert np.allclose(got, want.T, atol=1e-6), fmt
        assert ds.audio_format == (fmt or "foa")


def test_a_format_not_on_disk_is_one_line_naming_the_download(starss: Path, tmp_path: Path) -> None:
    root = _without_mic(starss, tmp_path)
    clips = registry.dataset("starss23").load(root, split="dev-train")
    from avbench.audio import require_format

    with pytest.raises(InputError) as exc:
        require_format(registry.dataset("starss23"), root, clips, "mic", split="dev-train")
    msg = str(exc.value)
    assert "2 of 2 clips of starss23/dev-train have no MIC audio" in msg
    assert "`avbench download starss23 --parts mic`" in msg and "or set format: foa" in msg
    with pytest.raises(InputError, match="'wav': starss23 has the audio formats foa, mic"):
        require_format(registry.dataset("starss23"), root, clips, "wav", split="dev-train")


def test_seld_srp_refuses_foa_and_a_missing_mic(starss: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = _without_mic(starss, tmp_path)
    args = ["train", "--task", "starss23-seld", "--baseline", "seld-srp", "--data-dir", str(root.parent),
            "--run", str(tmp_path / "run"), "--quiet"]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "format 'mic'" in err and "--parts mic" in err
    foa = tmp_path / "foa.yaml"
    foa.write_text("format: foa\n")
    code, _, err = run_cli([*args[:-3], "--run", str(tmp_path / "run2"), "--config", str(foa), "--quiet"], capsys)
    assert code == 2 and "SRP-PHAT and MUSIC search the microphone signals" in err, err
    assert not (tmp_path / "run" / "seed-0").exists() and not (tmp_path / "run2" / "seed-0").exists()


@pytest.mark.torch
def test_seld_accdoa_format_errors_and_foa_run(starss: Path, synth_small: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch", reason="avbench train needs the [baselines] extra (torch)")
    (tmp_path / "tiny.yaml").write_text(TINY)
    (tmp_path / "foa-gcc.yaml").write_text(TINY + "format: foa\n")
    (tmp_path / "foa.yaml").write_text(TINY.replace("fnn: 8}", "fnn: 8, phase: raw}") + "format: foa\n")
    (tmp_path / "synth.yaml").write_text("format: mic\n")

    def train(root: Path, cfg: str, run: str, task: str = "starss23-seld") -> tuple[int, str]:
        code, _, err = run_cli(["train", "--task", task, "--baseline", "seld-accdoa", "--data-dir", str(root.parent),
                                "--config", str(tmp_path / cfg), "--run", str(tmp_path / run), "--quiet"], capsys)
        return code, err

    code, err = train(_without_mic(starss, tmp_path), "tiny.yaml", "nomic")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--parts mic" in err, err
    code, err = train(starss, "foa-gcc.yaml", "gcc")
    assert code == 2 and "phase: gcc (GCC-PHAT of microphone pairs) needs the MIC format" in err, err
    assert "model: {phase: raw}" in err
    code, err = train(synth_small, "synth.yaml", "synth", task="synth-seld")
    assert code == 2 and "synth has a single audio format" in err, err
    for run in ("nomic", "gcc", "synth"):
        assert not (tmp_path / run / "seed-0" / "last.pt").exists()
    code, err = train(starss, "foa.yaml", "foa")
    assert code == 0, err
    import json

    header = json.loads((tmp_path / "foa" / "config.json").read_text())
    assert header["config"]["format"] == "foa" and (tmp_path / "foa" / "seed-0" / "test.report.json").is_file()
