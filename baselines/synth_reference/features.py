"""Building blocks of the ``synth-reference`` and ``seld-srp`` baselines: log-mel frame features and
linear classifiers (numpy and scipy only); the log-mel front end is :func:`avbench.audio.logmel`
and the event decoding :func:`avbench.postprocess.decode_events` (re-exported here); the direction
of arrival is :mod:`avbench.baselines._doa`.

Example:
    >>> x = np.random.default_rng(0).standard_normal(16000)
    >>> logmel(x, fs=16000).shape
    (50, 40)
    >>> decode_events(np.array([[0.1], [0.9], [0.9], [0.8], [0.1]]), hop=0.5, labels=["a"], median=1, min_duration=0.0)
    [{'onset': 0.5, 'offset': 2.0, 'label': 'a'}]
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import optimize

from avbench.audio import HOP_SECONDS, N_MELS, logmel
from avbench.extras import require
from avbench.postprocess import decode_events

__all__ = ["HOP_SECONDS", "N_MELS", "logmel", "context", "one_blas_thread", "LinearModel", "decode_events", "frame_features"]



def context(feats: np.ndarray, offsets: Sequence[int] = (-4, -2, 0, 2, 4)) -> np.ndarray:
    """Stack the frames at ``t + o`` for each offset (edges repeated): ``[F, D * len(offsets)]``."""
    n = len(feats)
    idx = np.clip(np.arange(n)[:, None] + np.asarray(offsets)[None], 0, n - 1)
    return feats[idx].reshape(n, -1)


def frame_features(lm: np.ndarray) -> np.ndarray:
    """Frame features of a log-mel ``[F, D]``: minus the clip's per-band 10th percentile (its noise
    floor), stacked over frames ``t-4, t-2, ..., t+4`` (:func:`context`): ``[F, 5 D]``."""
    return context(lm - np.percentile(lm, 10, axis=0, keepdims=True))


def one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """Limit BLAS to one thread (threadpoolctl) for the small, skinny products of these models.

    Multi-threaded OpenBLAS on such products is no faster on an idle machine and several times
    slower on a busy one (threads spin waiting for each other); without threadpoolctl, a no-op.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a core dependency, but only a speed-up
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


class LinearModel:
    """A linear classifier fitted by L-BFGS with an L2 penalty on standardised features.

    ``multilabel=True``: independent sigmoids, binary cross-entropy (``Y`` is ``[N, C]`` in {0,1});
    ``multilabel=False``: softmax, cross-entropy (``Y`` is ``[N]`` class indices).
    Loss = mean cross-entropy + ``l2 / 2 * ||W||^2`` (bias not penalised).
    """

    def __init__(self, *, n_classes: int, multilabel: bool, l2: float = 1e-3, max_iter: int = 300) -> None:
        self.n_classes, self.multilabel, self.l2, self.max_iter = n_classes, multilabel, l2, max_iter
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None
        self.w: np.ndarray | None = None

    def fit(self, x: np.ndarray, y: np.ndarray) -> LinearModel:
        self.mean = x.mean(axis=0)
        self.scale = x.std(axis=0) + 1e-6
        xs = np.hstack([(x - self.mean) / self.scale, np.ones((len(x), 1))]).astype(np.float32)
        n, d = xs.shape
        c = self.n_classes
        target = y.astype(float) if self.multilabel else np.eye(c)[y.astype(int)]
        penal = np.ones((d, 1))
        penal[-1] = 0.0

        def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
            w = flat.reshape(d, c)
            z = (xs @ w.astype(np.float32)).astype(np.float64)
            if self.multilabel:
                p = 1.0 / (1.0 + np.exp(-z))
                ce = np.sum(np.logaddexp(0.0, z) - target * z) / n
            else:
                z = z - z.max(axis=1, keepdims=True)
                logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
                p = np.exp(logp)
                ce = -np.sum(target * logp) / n
            grad = (xs.T @ (p - target).astype(np.float32)).astype(np.float64) / n + self.l2 * penal * w
            return ce + 0.5 * self.l2 * float(np.sum(penal * w * w)), grad.ravel()

        with one_blas_thread():
            res = optimize.minimize(loss, np.zeros(d * c), jac=True, method="L-BFGS-B",
                                    options={"maxiter": self.max_iter})
        self.w = res.x.reshape(d, c)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities ``[N, C]`` (sigmoids or a softmax)."""
        if self.w is None or self.mean is None or self.scale is None:
            raise RuntimeError("LinearModel.predict_proba called before fit")
        z = np.hstack([(x - self.mean) / self.scale, np.ones((len(x), 1))]) @ self.w
        if self.multilabel:
            return 1.0 / (1.0 + np.exp(-z))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)
