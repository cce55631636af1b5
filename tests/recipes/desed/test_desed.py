"""DESED: the real metadata from ../shared (counts, editions), --from DIR indexing with DESED's
missing_files, Zenodo metadata and YouTube video through loopback servers, availability and the
desed-sed task reported with and without video."""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

from _youtube_loopback import media_files, media_server  # noqa: F401  (fixtures)
from avbench.errors import InputError
from avbench.recipes.desed import CLASSES, RECIPE, availability_report, parse_name

REAL = {
    "metadata/train/weak.tsv": "turpaultn_DESED/data/real/metadata/train/weak.tsv",
    "metadata/train/unlabel_in_domain.tsv": "turpaultn_DESED/data/real/metadata/train/unlabel_in_domain.tsv",
    "metadata/validation/validation.tsv": "turpaultn_DESED/data/real/metadata/validation/validation.tsv",
    "metadata/validation/validation_durations.tsv": "DCASE-REPO_DESED_task/PSDS_Eval/meta/validation_durations.tsv",
    "metadata/eval/public.tsv": "turpaultn_DESED/data/real/metadata/eval/public.tsv",
    "metadata/train/synthetic21_train/soundscapes.tsv":
        "tanmayy24_FMSG-NTU_DCASE_2022_Task_4/data/dcase/dataset/metadata/train/synthetic21_train/soundscapes.tsv",
}


def _real_copy(reference_dir: Path, dest: Path, *, edition: str = "2021") -> Path:
    for rel, src in REAL.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(reference_dir / "desed" / src, dest / rel)
    if edition == "2020":
        shutil.copyfile(reference_dir / "desed/turpaultn_DCASE2019_task4/dataset/metadata/validation/validation.tsv",
                        dest / "metadata/validation/validation.tsv")
    return dest


def test_real_metadata_counts_and_edition(reference_dir: Path, tmp_path: Path) -> None:
    root = _real_copy(reference_dir, tmp_path / "desed")
    m = RECIPE.splits(root)
    assert {k: len(v) for k, v in m.splits.items()} == {
        "weak": 1578, "unlabel_in_domain": 14412, "validation": 1168, "synthetic_train": 10000, "public_eval": 692}
    val = RECIPE.load(root, split="validation")
    assert sum(len(c.events) for c in val.values()) == 4239 - 15  # 15 rows list a clip without events
    assert sum(not c.events for c in val.values()) == 15
    assert {e.label for c in val.values() for e in c.events} == set(CLASSES)
    c = next(iter(val.values()))
    assert c.meta["edition"] == "2021" and c.has_video is None and c.has_audio is None  # nothing fetched: unknown
    synth = RECIPE.load(root, split="synthetic_train")
    assert all(x.has_video is False for x in synth.values())  # soundscapes never have video
    old = _real_copy(reference_dir, tmp_path / "desed2020", edition="2020")
    v2020 = RECIPE.load(old, split="validation")
    assert next(iter(v2020.values())).meta["edition"] == "2020"
    assert sum(len(x.events) for x in v2020.values()) == 4251 - 15


def test_file_names() -> None:
    assert parse_name("Y-6p32k2WUCs_0.000_10.000.wav") == ("-6p32k2WUCs", 0.0, 10.0)
    assert parse_name("1Ro0FgMWTUE_120_130.wav") == ("1Ro0FgMWTUE", 120.0, 130.0)
    assert parse_name("12.wav") is None


def _copy_with_audio(dest: Path, names: list[str]) -> Path:
    import soundfile as sf

    ev = "filename\tonset\toffset\tevent_label\n"
    (dest / "metadata/validation").mkdir(parents=True)
    (dest / "metadata/validation/validation.tsv").write_text(
        ev + "".join(f"{n}\t0.500\t1.500\tDog\n" for n in names))
    folder = dest / "audio/validation/validation"
    folder.mkdir(parents=True)
    for n in names[:2]:
        sf.write(folder / n, np.zeros(4410, np.float32), 44100, subtype="PCM_16")
    (dest / "missing_files_validation.tsv").write_text(
        f"filename\terror\n{names[2]}\tERROR: [youtube] x: Private video. Sign in\n"
        f"{names[3]}\tERROR: HTTP Error 429: Too Many Requests\n")
    return dest


NAMES = ["YvAAAAAAAAA1_0.000_2.000.wav", "Yn404AAAAAA2_0.000_2.000.wav",
         "YaAAAAAAAAA3_0.000_2.000.wav", "Yn403AAAAAA4_0.000_2.000.wav"]


def test_from_dir_indexes_and_reads_missing_files(tmp_path: Path) -> None:
    src = _copy_with_audio(tmp_path / "DESED", NAMES)
    root = tmp_path / "data" / "desed"
    rep = RECIPE.prepare(root, parts=("meta",), from_dir=src)
    assert rep["indexed"]["splits"]["validation"] == {"clips": 4, "audio_files": 2}
    from avbench.download.manifest import read_manifest

    rows = read_manifest(root / "avbench/audio_manifest.tsv")
    assert {k: r.status for k, r in rows.items()} == {
        "YvAAAAAAAAA1_0.000_2.000": "ok", "Yn404AAAAAA2_0.000_2.000": "ok",
        "YaAAAAAAAAA3_0.000_2.000": "private", "Yn403AAAAAA4_0.000_2.000": "error"}
    clips = RECIPE.load(root, split="validation")
    assert [c.has_audio for c in clips.values()] == [True, True, False, None]  # 429: never decided
    assert clips["YvAAAAAAAAA1_0.000_2.000"].audio == str(src / "audio/validation/validation" / NAMES[0])
    assert not (root / "audio").exists()  # indexed, not copied
    with pytest.raises(InputError, match="no metadata/ folder"):
        RECIPE.prepare(tmp_path / "x", from_dir=tmp_path)


def test_video_through_the_engine_and_strata(media_server, monkeypatch, tmp_path: Path) -> None:  # noqa: ANN001, F811
    from avbench.download import youtube
    from avbench.evaluation import evaluate_predictions
    from avbench.model import Event
    from avbench.predictions import Predictions

    monkeypatch.setitem(youtube.fetch_youtube_clips.__kwdefaults__, "url_template", media_server.template)
    root = _copy_with_audio(tmp_path / "desed", NAMES)
    rep = RECIPE.prepare(root, parts=("video",), quiet=True, workers=2)
    assert rep["youtube"].clips.counts["ok"] == 2
    clips = RECIPE.load(root, split="validation")
    state = {c.id[1:5]: (c.has_audio, c.has_video) for c in clips.values()}
    # v: video ok; n404: unavailable (missing); a: audio-only file (no video stream); n403: error (unknown,
    # and DESED's own attempt hit a rate limit: its audio is unknown too)
    assert state == {"vAAA": (True, True), "n404": (True, False), "aAAA": (True, False), "n403": (None, None)}
    report = availability_report(clips.values())["validation"]
    assert (report["video_available"], report["video_missing"], report["video_unknown"]) == (1, 2, 1)
    p = Predictions(benchmark="desed", task="desed-sed", split="validation")
    for cid in clips:
        p.add(cid, events=[Event(0.5, 1.5, "Dog")] if cid.startswith("Yv") else [])
    out = evaluate_predictions(p, reference=root, metric_ids=["event_f1"])
    assert out.strata["with_video"].n_clips == 1 and out.strata["without_video"].n_clips == 2
    assert out.coverage["clips_video_unknown"] == 1
    overall = out.strata["with_video"].results[0].overall
    assert [v for k, v in overall.items() if k.startswith("f")][0] == pytest.approx(1.0)


def test_zenodo_metadata_archive(loopback, tmp_path: Path) -> None:  # noqa: ANN001
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        data = b"filename\tevent_labels\nYKK227gPpRn4_30.000_40.000.wav\tDog\n"
        info = tarfile.TarInfo("metadata/train/weak.tsv")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    loopback.zenodo_record(4639776, "DESED metadata", {"audioset_metadata.tar.gz": buf.getvalue()})
    root = tmp_path / "desed"
    RECIPE.prepare(root, parts=("meta",), quiet=True)
    assert list(RECIPE.splits(root).splits) == ["weak"]
    assert RECIPE.load(root)["YKK227gPpRn4_30.000_40.000"].clip_labels == ("Dog",)
    RECIPE.prepare(root, parts=("meta",), quiet=True)  # resumable / idempotent
    assert len(loopback.requests_for("/api/records/4639776/files/audioset_metadata.tar.gz/content")) == 1


def test_wav_names_are_desed_s_on_the_real_metadata(reference_dir: Path) -> None:
    """Every YouTube-sourced file name of the real dev metadata is ``wav_name`` of its parsed parts
    (``Y<ytid>_<start>_<end>.wav``, three decimals), so the files avbench writes are DESED's."""
    from avbench.recipes.desed.media import wav_name

    names: set[str] = set()
    for rel in ("train/weak.tsv", "train/unlabel_in_domain.tsv", "validation/validation.tsv"):
        lines = (reference_dir / "desed/turpaultn_DESED/data/real/metadata" / rel).read_text().splitlines()[1:]
        names.update(line.split("\t")[0] for line in lines if line.strip())
    assert "Y-BJNMHMZDcU_50.000_60.000.wav" in names and len(names) == 1578 + 14412 + 1168
    for n in names:
        parsed = parse_name(n)
        assert parsed is not None and wav_name(*parsed) == n


def test_audio_part_writes_desed_s_wav_files(media_server, monkeypatch, tmp_path: Path) -> None:  # noqa: ANN001, F811
    """``--parts audio``: each YouTube section (16 kHz AAC on the loopback host) becomes
    ``audio/validation/validation/<metadata name>`` as 44.1 kHz 16-bit WAV; an unavailable clip
    is missing, a failed one (HTTP 403: decides nothing) unknown; a second run fetches nothing."""
    import soundfile as sf

    from avbench.download import youtube

    monkeypatch.setitem(youtube.fetch_youtube_clips.__kwdefaults__, "url_template", media_server.template)
    names = ["YvAAAAAAAAA1_0.000_2.000.wav", "YaAAAAAAAAA3_0.500_2.500.wav", "Yn404AAAAAA2_0.000_2.000.wav",
             "Yn403AAAAAA4_0.000_2.000.wav"]
    root = tmp_path / "desed"
    (root / "metadata/validation").mkdir(parents=True)
    (root / "metadata/validation/validation.tsv").write_text(
        "filename\tonset\toffset\tevent_label\n" + "".join(f"{n}\t0.500\t1.500\tDog\n" for n in names))
    rep = RECIPE.prepare(root, parts=("audio",), quiet=True, workers=2)
    assert rep["audio_wav"] == {"written": 2, "already_on_disk": 0, "not_fetched": 2, "undecodable": 0}
    folder = root / "audio/validation/validation"
    assert sorted(p.name for p in folder.iterdir()) == sorted(names[:2])
    for n, seconds in ((names[0], 2.0), (names[1], 2.0)):
        info = sf.info(folder / n)
        assert (info.samplerate, info.subtype, info.format) == (44100, "PCM_16", "WAV")
        assert abs(info.frames / 44100 - seconds) < 0.1
        x, _ = sf.read(folder / n, dtype="float32", always_2d=True)
        spectrum = np.abs(np.fft.rfft(x[:, 0]))
        assert abs(np.argmax(spectrum) * 44100 / len(x) - 440) < 5  # the 440 Hz tone survives resampling
    clips = RECIPE.load(root, split="validation")
    assert [clips[n[:-4]].has_audio for n in names] == [True, True, False, None]
    assert clips[names[0][:-4]].audio == f"audio/validation/validation/{names[0]}"
    hits = dict(media_server.hits)
    assert hits["vAAAAAAAAA1"] >= 1
    again = RECIPE.prepare(root, parts=("audio",), quiet=True, workers=2)
    assert again["audio_wav"]["already_on_disk"] == 2 and media_server.hits.get("vAAAAAAAAA1") == hits.get("vAAAAAAAAA1")
