"""Scoring workers: claim a queued submission, score it with the code of ``avbench evaluate``
(:func:`avbench.evaluation.evaluate_predictions` against the board's server-side reference),
store the full report.

Each claimed job keeps a heartbeat every ``lease / 3`` seconds. A worker that dies (the process is
killed, the machine stops) leaves its row in ``scoring`` with a stale heartbeat; any worker's next
pass requeues it (:meth:`avbench.leaderboard.db.Database.recover`), or marks it failed with the
reason once it has been tried ``max_attempts`` times, so a crashing submission cannot take the
workers down for ever. A user error in the predictions (an unknown clip id, say) fails the
submission with the same one-line message ``avbench validate`` prints offline.
"""

from __future__ import annotations

import json
import threading
import traceback
from typing import Any

from avbench.errors import AvbenchError
from avbench.evaluation import evaluate_predictions
from avbench.leaderboard.db import Database
from avbench.predictions import Predictions

__all__ = ["Worker", "score"]


def score(sub: dict[str, Any], board: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
    """Score one submission row on ``board``: ``(report JSON, primary value)``.

    Raises:
        AvbenchError: the predictions do not fit the board (the message is the user's verdict).
    """
    from avbench import registry
    from avbench.errors import InputError

    source = f"{sub['filename']}:predictions.json"
    preds = Predictions.from_dict(json.loads(sub["predictions"].decode("utf-8-sig")), source=source)
    if (preds.benchmark, preds.task, preds.split) != (board["benchmark"], board["task"], board["split"]):
        raise InputError(f"{source}: predictions are for {preds.benchmark}/{preds.task}/{preds.split}, board "
                         f"{board['name']!r} scores {board['benchmark']}/{board['task']}/{board['split']}")
    report = evaluate_predictions(preds, reference=board["reference"]).to_dict()
    report["header"]["predictions"] = source
    key = registry.metric(board["primary"]).primary
    metric = report["metrics"].get(board["primary"], {})
    value = (metric.get("overall") or {}).get(key) if key else None
    return report, value if isinstance(value, (int, float)) else None


class Worker:
    """One scoring loop on ``db``.

    Args:
        db: the leaderboard database.
        name: this worker's id (stored in claimed rows).
        lease: seconds without a heartbeat after which a claimed job counts as abandoned.
        max_attempts: claims of one submission before it is failed instead of retried.
        poll: seconds between looks at the queue when idle.
        wake: an event set when a new submission arrives (skips the idle wait).
    """

    def __init__(self, db: Database, *, name: str, lease: float = 30.0, max_attempts: int = 3, poll: float = 0.5,
                 wake: threading.Event | None = None) -> None:
        self.db, self.name, self.lease, self.max_attempts, self.poll = db, name, lease, max_attempts, poll
        self.wake = wake or threading.Event()
        self._boards: dict[int, dict[str, Any]] = {}

    def _board(self, board_id: int) -> dict[str, Any]:
        if board_id not in self._boards:
            self._boards = {b["id"]: b for b in self.db.boards_list()}
        return self._boards[board_id]

    def run_once(self) -> bool:
        """Recover abandoned jobs, then score one queued submission; ``False`` when none was queued."""
        self.db.recover(lease=self.lease, max_attempts=self.max_attempts)
        sub = self.db.claim(self.name)
        if sub is None:
            return False
        done = threading.Event()
        beat = threading.Thread(target=self._beat, args=(sub["id"], done), daemon=True)
        beat.start()
        try:
            result, value = score(sub, self._board(sub["board_id"]))
        except AvbenchError as exc:
            self.db.finish(sub["id"], self.name, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - an internal error must fail the job with its reason, not the worker
            last = traceback.extract_tb(exc.__traceback__)[-1]
            self.db.finish(sub["id"], self.name, error=f"internal error while scoring ({type(exc).__name__}: {exc} at "
                                                      f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}); the host "
                                                      "can rescore it")
        else:
            self.db.finish(sub["id"], self.name, result=result, primary_value=value)
        finally:
            done.set()
            beat.join()
        return True

    def _beat(self, sub_id: int, done: threading.Event) -> None:
        while not done.wait(self.lease / 3):
            if not self.db.heartbeat(sub_id, self.name):
                return

    def run(self, stop: threading.Event) -> None:
        """Score until ``stop`` is set."""
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the loop
                busy = False
                stop.wait(self.poll)
            if not busy:
                self.wake.wait(self.poll)
                self.wake.clear()
