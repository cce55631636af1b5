"""``avbench export NAME --split S --to hf DIR``: a Hugging Face dataset with the masks as columns."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

import avbench
from avbench.cli import main

datasets = pytest.importorskip("datasets", reason="datasets (extra 'hf') is not installed")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    avbench.recipe("synth").make_toy(root / "synth")
    return root


def test_export_synth_has_audio_labels_events_and_masks(synth_root: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import soundfile as sf

    out = tmp_path / "hf"
    code, stdout, _ = _run(["export", "synth", "--split", "test", "--to", "hf", str(out),
                            "--data-dir", str(synth_root)], capsys)
    assert code == 0 and "wrote synth test" in stdout
    ds = datasets.load_from_disk(str(out))
    clips = avbench.load("synth", "test", data_dir=synth_root)
    assert ds["clip_id"] == list(clips)
    assert (out / "README.md").read_text().count("has_video") >= 1
    for row, clip in zip(ds, clips.values()):
        assert row["has_video"] == clip.has_video
        assert row["video_segments"] == list(clip.video_segments or ())
        assert json.loads(row["cameras"]) == dict(clip.cameras)
        assert row["labels"] == list(clip.clip_labels)
        assert [e["label"] for e in row["events"]] == [e.label for e in clip.events]
        assert np.allclose([e["onset"] for e in row["events"]], [e.onset for e in clip.events])
        # the audio bytes are the file's: decode them and compare with the dataset's own file
        wav, fs = sf.read(io.BytesIO(row["audio"]["bytes"]))
        ref, fs_ref = sf.read(synth_root / "synth" / clip.audio)
        assert fs == fs_ref and np.array_equal(wav, ref)
    names = ds.features["label_ids"].feature.names
    assert all(lab in names for row in ds for lab in row["labels"])


def test_export_refuses_a_non_empty_target_and_an_unknown_split(synth_root: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    code, _, err = _run(["export", "synth", "--split", "test", str(tmp_path / "full"), "--data-dir", str(synth_root)],
                        capsys)
    assert code == 2 and "exists and is not an empty directory" in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "full" / "keep.txt").read_text() == "x"
    code, _, err = _run(["export", "synth", "--split", "tset", str(tmp_path / "new"), "--data-dir", str(synth_root)],
                        capsys)
    assert code == 2 and "has no split 'tset' (did you mean 'test'?)" in err
    assert not (tmp_path / "new").exists()


def test_push_to_hub_is_called_with_the_repository_and_token(synth_root: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # the Hub is not reachable here: check the call that avbench makes, not the upload itself
    calls = []
    monkeypatch.setattr(datasets.Dataset, "push_to_hub", lambda self, repo, **kw: calls.append((repo, kw, len(self))))
    from avbench.export import export_hf

    export_hf("synth", "test", tmp_path / "hf", data_dir=synth_root, push_to_hub="me/synth", token="t0k")
    assert calls == [("me/synth", {"token": "t0k", "split": "test"}, len(avbench.load("synth", "test", data_dir=synth_root)))]


def test_a_wrong_split_is_said_before_a_missing_extra(synth_root: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from avbench import export
    from avbench.errors import InputError, MissingExtraError

    def missing(module: str, extra: str):  # noqa: ANN202 - what a machine without [hf] answers
        raise MissingExtraError(f"needs {module} [{extra}]")

    monkeypatch.setattr(export, "require", missing)
    with pytest.raises(InputError, match="has no split 'tset'"):
        export.export_hf("synth", "tset", tmp_path / "x", data_dir=synth_root)
    with pytest.raises(MissingExtraError):
        export.export_hf("synth", "test", tmp_path / "x", data_dir=synth_root)
