"""Building blocks of the ``synth-reference`` baseline: linear classifiers and SRP-PHAT direction of
arrival (numpy, scipy and pyroomacoustics only); the log-mel front end is :func:`avbench.audio.logmel`
and the event decoding :func:`avbench.postprocess.decode_events` (re-exported here).

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

__all__ = ["HOP_SECONDS", "N_MELS", "logmel", "context", "one_blas_thread", "LinearModel", "decode_events", "srp_phat_doa"]

_DOA_CACHE: dict[Any, Any] = {}  # SRP objects by (mics, fs, nfft): building the grid costs more than a search


def context(feats: np.ndarray, offsets: Sequence[int] = (-4, -2, 0, 2, 4)) -> np.ndarray:
    """Stack the frames at ``t + o`` for each offset (edges repeated): ``[F, D * len(offsets)]``."""
    n = len(feats)
    idx = np.clip(np.arange(n)[:, None] + np.asarray(offsets)[None], 0, n - 1)
    return feats[idx].reshape(n, -1)


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


def srp_phat_doa(
    stft: np.ndarray, mics: np.ndarray, *, fs: int, nfft: int, n_bins: int = 40, fmin: float = 200.0,
    fmax: float = 7000.0,
) -> tuple[float, float]:
    """Azimuth and elevation (degrees) of the dominant source by SRP-PHAT (pyroomacoustics).

    Args:
        stft: ``[M, nfft // 2 + 1, S]`` STFT snapshots of the ``M`` microphones.
        mics: microphone coordinates ``[3, M]`` (m) relative to the array centre.
        n_bins: the ``n_bins`` frequency bins in ``[fmin, fmax]`` with the most energy are used.

    The search grid covers azimuth -180..178 deg in 2-deg steps and elevation 0..40 deg in 10-deg
    steps (a planar array only resolves ``|elevation|``).
    """
    freqs = np.fft.rfftfreq(nfft, 1.0 / fs)
    band = np.flatnonzero((freqs >= fmin) & (freqs <= fmax))
    power = np.mean(np.abs(stft[:, band, :]) ** 2, axis=(0, 2))
    bins = np.sort(band[np.argsort(power)[::-1][:n_bins]])
    key = (mics.tobytes(), fs, nfft)
    doa = _DOA_CACHE.get(key)
    if doa is None:
        pra = require("pyroomacoustics", "core")
        doa = _DOA_CACHE[key] = pra.doa.algorithms["SRP"](
            mics, fs, nfft, c=343.0, num_src=1, dim=3,
            azimuth=np.deg2rad(np.arange(-180.0, 180.0, 2.0)), colatitude=np.deg2rad(np.arange(50.0, 91.0, 10.0)),
        )
    doa.locate_sources(stft, freq_bins=bins)
    az = float(np.rad2deg(doa.azimuth_recon[0]))
    az = (az + 180.0) % 360.0 - 180.0
    el = 90.0 - float(np.rad2deg(doa.colatitude_recon[0]))
    return round(az, 2), round(max(0.0, min(90.0, el)), 2)
