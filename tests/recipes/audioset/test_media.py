"""AudioSet media end to end, offline: YouTube sections through the engine (loopback media server),
Hub mirrors (a parquet mirror and a webdataset mirror made here, served by the loopback Hub), the
availability manifests and the three-state masks; the contract toy's states."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from _youtube_loopback import media_files, media_server  # noqa: F401  (fixtures)
from avbench.errors import InputError
from avbench.recipes.audioset import RECIPE
from avbench.recipes.audioset.toy import segment_csv

ROWS = ['vAAAAAAAAA1, 0.000, 2.000, "/m/0bt9lr"',
        'aAAAAAAAAA2, 0.000, 2.000, "/m/01yrx,/m/068hy"',
        'n404AAAAAA3, 0.000, 2.000, "/m/09x0r"',
        'n403AAAAAA4, 0.000, 2.000, "/m/04rlf"']


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "audioset"
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "eval_segments.csv").write_text(segment_csv(ROWS))
    return root


@pytest.fixture
def youtube_at(media_server, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201, F811
    from avbench.download import youtube

    monkeypatch.setitem(youtube.fetch_youtube_clips.__kwdefaults__, "url_template", media_server.template)
    return media_server


def test_youtube_statuses_masks_and_resume(youtube_at, tmp_path: Path) -> None:  # noqa: ANN001
    root = _root(tmp_path)
    rep = RECIPE.prepare(root, parts=("audio",), split="eval", quiet=True, workers=2)
    assert rep["youtube"].clips.counts["ok"] == 2
    clips = RECIPE.load(root, split="eval")
    state = {c.meta["ytid"][:4]: (c.has_audio, c.has_video) for c in clips.values()}
    # audio-only requests never look at the video: unknown; 404 = unavailable: missing; 403 = error: unknown
    assert state == {"vAAA": (True, None), "aAAA": (True, None), "n404": (False, False), "n403": (None, None)}
    assert clips["vAAAAAAAAA1_0"].audio.startswith("youtube/")
    manifest = sorted(root.glob("subsets/eval-*.json"))
    assert len(manifest) == 1 and json.loads(manifest[0].read_text())["n_clips"] == 4
    hits = dict(youtube_at.hits)
    RECIPE.prepare(root, parts=("audio",), split="eval", quiet=True)  # resume: nothing ok or gone is refetched
    assert youtube_at.hits.get("vAAAAAAAAA1") == hits.get("vAAAAAAAAA1")
    assert youtube_at.hits.get("n404AAAAAA3") == hits.get("n404AAAAAA3")
    assert youtube_at.hits.get("n403AAAAAA4", 0) > hits.get("n403AAAAAA4", 0)  # errors are retried
    RECIPE.prepare(root, parts=("video",), split="eval", quiet=True, ids="vAAAAAAAAA1")
    v = RECIPE.load(root, split="eval")["vAAAAAAAAA1_0"]
    assert (v.has_audio, v.has_video) == (True, True) and v.video_state.value == "available"


def test_dry_run_counts_before_any_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from avbench.cli import main

    with pytest.raises(SystemExit) as ok:
        main(["download", "audioset", "--split", "eval", "--classes", "Dog,Cat", "--include-descendants",
              "--dry-run", "--parts", "audio", "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert ok.value.code == 0 and "audioset eval: " in out and "571 YouTube clip" in out
    n = int(out.split("audioset eval: ")[1].split(" clips")[0])
    assert n == len(RECIPE.choose("eval", classes=["Dog", "Cat"], include_descendants=True).ids)
    assert not any(tmp_path.rglob("*.csv")) and not any(tmp_path.rglob("subsets"))
    with pytest.raises(SystemExit) as exc:
        main(["download", "audioset", "--classes", "Dgo", "--dry-run", "--data-dir", str(tmp_path)])
    assert exc.value.code == 2
    assert "did you mean 'Dog'" in capsys.readouterr().err


def _flac(seed: int) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.random.default_rng(seed).uniform(-0.1, 0.1, 800).astype(np.float32), 8000, format="FLAC")
    return buf.getvalue()


def _parquet(ytids: list[str]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"video_id": ytids,
                      "audio": [{"bytes": _flac(i), "path": f"{y}.flac"} for i, y in enumerate(ytids)],
                      "labels": [["/m/0bt9lr"]] * len(ytids), "human_labels": [["Dog"]] * len(ytids)})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _tar(ytids: list[str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for i, y in enumerate(ytids):
            for name, data in ((f"Y{y}.flac", _flac(i)), (f"Y{y}.json", json.dumps({"labels": ["Dog"]}).encode())):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["parquet", "webdataset"])
def test_hub_mirror_records_repo_revision_and_absent_clips(kind: str, loopback, tmp_path: Path) -> None:  # noqa: ANN001
    pytest.importorskip("datasets" if kind == "parquet" else "webdataset")
    root = _root(tmp_path)
    have = ["vAAAAAAAAA1", "n404AAAAAA3", "n403AAAAAA4"]  # the mirror lacks aAAAAAAAAA2
    files = {"README.md": b"# mirror\n"}
    if kind == "parquet":
        files["data/eval/eval-00000-of-00001.parquet"] = _parquet(have)
        files["data/bal_train/bal_train-00000.parquet"] = _parquet(["zzzzzzzzzzz"])
    else:
        files["eval/shard-000000.tar"] = _tar(have)
    commit = loopback.hub_repo("someone/audioset-mirror", files, lfs=tuple(n for n in files if n != "README.md"))
    rep = RECIPE.prepare(root, parts=("audio",), split="eval", source="hub", repo="someone/audioset-mirror", quiet=True)
    assert rep["hub"]["ok"] == 3 and rep["hub"]["absent"] == 1 and rep["hub"]["revision"] == commit
    rows = [line.split("\t") for line in (root / "hub" / "hub_manifest.tsv").read_text().splitlines()[1:]]
    assert {r[0]: r[1] for r in rows} == {"vAAAAAAAAA1_0": "ok", "aAAAAAAAAA2_0": "absent",
                                          "n404AAAAAA3_0": "ok", "n403AAAAAA4_0": "ok"}
    assert all(r[2] == "someone/audioset-mirror" and r[3] == commit for r in rows)
    clips = RECIPE.load(root, split="eval")
    v = clips["vAAAAAAAAA1_0"]
    assert v.has_audio and v.has_video is False and v.meta["source"] == f"hub:someone/audioset-mirror@{commit}"
    assert (root / v.audio).read_bytes() == _flac(0)
    assert clips["aAAAAAAAAA2_0"].has_audio is False  # absent in the mirror: checked, missing


def test_hub_source_needs_a_repo(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--source hub needs --repo"):
        RECIPE.prepare(_root(tmp_path), parts=("audio",), source="hub")


def test_tagging_task_scores_the_toy(tmp_path: Path) -> None:
    from avbench.evaluation import evaluate_predictions
    from avbench.predictions import Predictions

    root = tmp_path / "audioset"
    RECIPE.make_toy(root)
    task = RECIPE.tasks()[0]
    clips = RECIPE.load(root, split="eval")
    from avbench.recipes.audioset import multi_hot

    truth = multi_hot(list(clips.values()))
    p = Predictions(benchmark="audioset", task=task.id, split="eval")
    for i, cid in enumerate(clips):
        p.add(cid, clip_scores=truth[i].astype(float) * 0.9 + 0.05)
    rep = evaluate_predictions(p, reference=root)
    cw = rep.results[0].class_wise
    present = [n for n, v in cw.items() if v["positives"]]
    assert len(present) == 7 and all(cw[n]["ap"] == 1.0 for n in present)  # the other 520 are flagged, scored 0
    assert rep.coverage["clips_video_unknown"] == 3 and rep.coverage["clips_without_video"] == 2
