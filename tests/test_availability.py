"""Three-state video availability (available / missing / unknown) in the model and the report strata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avbench.dataset import Recipe
from avbench.errors import InputError
from avbench.evaluation import evaluate_predictions, video_strata
from avbench.model import Clip, Event, SplitManifest, Task, TaskKind, VideoState, segment_labels_from_events
from avbench.predictions import Predictions

LABELS = ("dog", "cat")
#        clip: (event label, onset, offset, has_video)
CLIPS = {
    "a0": ("dog", 0, 2, True),
    "a1": ("cat", 1, 4, True),
    "m0": ("dog", 2, 3, False),
    "u0": ("cat", 0, 1, None),
    "u1": ("dog", 0, 4, None),
}


class ThreeStateRecipe(Recipe):
    """Five clips: two with video, one checked without, two never checked."""

    name = "threestate"
    version = "1.0"
    title = "test recipe with unknown video"

    def __init__(self, states: dict[str, bool | None] | None = None) -> None:
        self.states = states or {k: v[3] for k, v in CLIPS.items()}

    def splits(self, root=None):  # noqa: ANN001, ANN201
        return SplitManifest(self.name, self.version, {"test": tuple(CLIPS)})

    def tasks(self):  # noqa: ANN201
        return [Task("threestate-seg", self.name, TaskKind.SEGMENT_CLASSIFICATION, LABELS, ("ave_segment_accuracy",),
                     n_segments=4)]

    def load(self, root, *, split=None):  # noqa: ANN001, ANN201
        out = {}
        for cid, (lab, on, off, _) in CLIPS.items():
            ev = Event(on, off, lab, labels=LABELS)
            out[cid] = Clip(cid, 4.0, events=(ev,), segment_labels=segment_labels_from_events([ev], LABELS, n_segments=4),
                            has_video=self.states[cid])
        return out

    def make_toy(self, root):  # noqa: ANN001, ANN201
        (Path(root) / "ok").write_text("toy")


def _preds(wrong: str | None = None) -> Predictions:
    p = Predictions(benchmark="threestate", task="threestate-seg", split="test")
    for cid, clip in ThreeStateRecipe().load(None).items():
        labels = list(clip.segment_labels or ())
        if cid == wrong:
            labels = [(x + 1) % 3 for x in labels]
        p.add(cid, segment_scores=np.eye(3)[labels])
    return p


def test_clip_states_and_masks() -> None:
    assert Clip("a", 1.0).video_state is VideoState.AVAILABLE
    assert Clip("m", 1.0, has_video=False).video_state is VideoState.MISSING
    u = Clip("u", 2.0, has_video=None, has_audio=None)
    assert u.video_state is VideoState.UNKNOWN and u.audio_state is VideoState.UNKNOWN
    assert u.video_mask(2) == [False, False]  # a model never gets video nobody has
    assert Clip("n", 1.0, has_video=np.bool_(False)).has_video is False
    with pytest.raises(InputError, match="has_video is unknown"):
        Clip("x", 2.0, has_video=None, video_segments=(True, False))
    with pytest.raises(InputError, match="True, False or None"):
        Clip("y", 1.0, has_video="yes")  # type: ignore[arg-type]


def test_unknown_clips_are_counted_and_never_a_stratum(register_recipe) -> None:  # noqa: ANN001
    root = register_recipe(ThreeStateRecipe())
    report = evaluate_predictions(_preds(wrong="u1"), reference=root)
    assert set(report.strata) == {"with_video", "without_video"}
    assert report.strata["with_video"].n_clips == 2 and report.strata["without_video"].n_clips == 1
    cov = report.coverage
    assert (cov["clips_with_video"], cov["clips_without_video"], cov["clips_video_unknown"]) == (2, 1, 2)
    # u1 is all wrong: it lowers the all-clips figure but neither stratum
    assert report.results[0].overall["accuracy"] == pytest.approx(16 / 20)
    assert report.strata["with_video"].results[0].overall["accuracy"] == 1.0
    assert report.strata["without_video"].results[0].overall["accuracy"] == 1.0
    assert report.to_dict()["coverage"]["clips_video_unknown"] == 2


def test_all_unknown_gives_no_stratum(register_recipe) -> None:  # noqa: ANN001
    """The AVE-with-metadata-only case: no 'without video' stratum made of unchecked clips."""
    root = register_recipe(ThreeStateRecipe(dict.fromkeys(CLIPS)))
    report = evaluate_predictions(_preds(), reference=root)
    assert report.strata == {} and report.coverage["clips_video_unknown"] == len(CLIPS)
    assert report.coverage["clips_without_video"] == 0


def test_video_strata_partition() -> None:
    clips = ThreeStateRecipe().load(None)
    parts = video_strata(clips)
    assert sorted(k for v in parts.values() for k in v) == sorted(clips)
    assert list(parts["video_unknown"]) == ["u0", "u1"]
