"""Audio front ends shared by the torch adapters and the baselines (numpy and scipy only).

- :func:`logmel`: log mel energies ``[F, n_mels]``, 40 ms Hann windows every 20 ms (HTK mel scale);
- :func:`spectrogram`: per channel the log magnitude and the phase of the STFT, ``[2 M, F, B]``
  (SELDnet's input: magnitudes of the ``M`` channels first, then their phases in radians);
- :func:`resample`: polyphase resampling to another rate (HEAR models fix their own rate);
- :func:`read_array`: a clip's microphone-array channels (one WAV per capsule, a release's format, or
  one multichannel file).
- :func:`require_format`: the check that a chosen format of a multi-format release is on disk;
- :func:`read_audio`: any audio file as float32 ``[M, N]`` (soundfile, else the ``youtube`` extra's ffmpeg).

Frame ``t`` is centred on ``t * hop`` seconds and a signal of ``N`` samples has ``N // hop`` frames,
so the frame grid of every front end is the grid of the frame targets
(:func:`avbench.training.targets.frame_activity`).

Example:
    >>> x = np.random.default_rng(0).standard_normal((2, 16000))
    >>> logmel(x[0], fs=16000).shape
    (50, 40)
    >>> spectrogram(x, fs=16000, hop=0.02).shape
    (4, 50, 321)
    >>> resample(x, 16000, 8000).shape
    (2, 8000)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal as sps

from avbench.errors import InputError

__all__ = ["HOP_SECONDS", "N_MELS", "logmel", "mel_filterbank", "spectrogram", "resample", "read_array",
           "read_audio", "require_format"]

HOP_SECONDS = 0.02
N_MELS = 40
_FB_CACHE: dict[tuple[int, int, int], np.ndarray] = {}


def mel_filterbank(fs: int, n_fft: int, n_mels: int, fmin: float = 50.0) -> np.ndarray:
    """Triangular filters ``[n_mels, n_fft // 2 + 1]`` equally spaced on the mel scale (HTK formula
    ``mel = 2595 log10(1 + f / 700)``), from ``fmin`` Hz to ``fs / 2``."""
    key = (fs, n_fft, n_mels)
    if key in _FB_CACHE and fmin == 50.0:
        return _FB_CACHE[key]

    def hz2mel(f: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    mels = np.linspace(hz2mel(np.asarray(fmin)), hz2mel(np.asarray(fs / 2)), n_mels + 2)
    edges = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (freqs[None] - lo) / (mid - lo)
    down = (hi - freqs[None]) / (hi - mid)
    fb = np.maximum(0.0, np.minimum(up, down))
    if fmin == 50.0:
        _FB_CACHE[key] = fb
    return fb


def _stft(x: np.ndarray, fs: int, hop: float) -> tuple[np.ndarray, int]:
    h = int(round(hop * fs))
    _, _, z = sps.stft(x, fs=fs, nperseg=2 * h, noverlap=h, boundary="zeros", padded=True)
    n_frames = x.shape[-1] // h
    return z[..., :n_frames], h


def logmel(x: np.ndarray, *, fs: int, hop: float = HOP_SECONDS, n_mels: int = N_MELS) -> np.ndarray:
    """Log mel energies of a mono signal ``[N]`` (or ``[M, N]``): ``[F, n_mels]`` (or ``[M, F, n_mels]``).

    ``log(M |STFT|^2 + 1e-10)`` with windows of ``2 * hop`` seconds every ``hop`` seconds,
    ``F = N // (hop * fs)``.
    """
    z, h = _stft(np.asarray(x, dtype=np.float64), fs, hop)
    power = np.abs(z) ** 2
    fb = mel_filterbank(fs, 2 * h, n_mels)
    return np.swapaxes(np.log(np.einsum("mb,...bf->...mf", fb, power) + 1e-10), -1, -2)


def spectrogram(x: np.ndarray, *, fs: int, hop: float = HOP_SECONDS) -> np.ndarray:
    """Log magnitude and phase of a multichannel signal ``[M, N]``: ``[2 M, F, B]`` float32.

    Channels ``0..M-1`` hold ``log(|STFT| + 1e-6)``, channels ``M..2M-1`` the phase ``angle(STFT)``
    in radians; ``B = hop * fs + 1`` bins (windows of ``2 * hop`` seconds), ``F = N // (hop * fs)``.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float32))
    z, _ = _stft(x, fs, hop)
    z = np.swapaxes(z, -1, -2)  # [M, F, B]
    return np.concatenate([np.log(np.abs(z) + 1e-6), np.angle(z)]).astype(np.float32)


def resample(x: np.ndarray, fs_in: int, fs_out: int) -> np.ndarray:
    """``x`` ``[..., N]`` resampled from ``fs_in`` to ``fs_out`` Hz along the last axis (polyphase)."""
    if fs_in == fs_out:
        return np.asarray(x)
    g = math.gcd(int(fs_in), int(fs_out))
    return sps.resample_poly(x, int(fs_out) // g, int(fs_in) // g, axis=-1)


def read_array(root: Path, clip: Any, *, fmt: str | None = None) -> tuple[np.ndarray, int]:
    """The array channels of ``clip`` as ``([M, N] float64, fs)``.

    One WAV per capsule (SECL-UMONS ``meta["mics"]``, in the order of its keys), else the ``fmt``
    file of a multi-format release (``meta["formats"][fmt]``, e.g. ``"mic"`` of STARSS23), else
    ``clip.audio`` (``synth``: one 7-channel file).

    Raises:
        InputError: the clip has no such audio, or its capsule files differ in rate or length.
    """
    from avbench.extras import require

    sf = require("soundfile", "core")
    meta = clip.meta or {}
    if meta.get("mics"):
        chans, rates = [], set()
        for _, rel in sorted(meta["mics"].items()):
            x, fs = sf.read(Path(root) / str(rel), dtype="float64", always_2d=True)
            chans.append(x[:, 0])
            rates.add(int(fs))
        if len(rates) != 1 or len({len(c) for c in chans}) != 1:
            raise InputError(f"clip {clip.id!r}: its capsule WAVs differ in rate or length; re-download them")
        return np.stack(chans), rates.pop()
    rel = (meta.get("formats") or {}).get(fmt) if fmt else clip.audio
    if rel is None:
        raise InputError(f"clip {clip.id!r} has no {fmt or 'audio'} file; download that part of the dataset")
    x, fs = sf.read(Path(root) / str(rel), dtype="float64", always_2d=True)
    return np.ascontiguousarray(x.T), int(fs)


def require_format(recipe: Any, root: Path, clips: Any, fmt: str, *, split: str, option: str = "format") -> None:
    """Check that ``fmt`` is an audio format of ``recipe`` (``Recipe.audio_formats``) and that every
    clip of ``split`` has its file on disk (``Clip.meta["formats"]``), before anything is read.

    Args:
        recipe: the dataset's recipe; root: its directory; clips: the split's clips.
        fmt: the format asked for; option: the name of the setting, for the message.

    Raises:
        InputError: ``recipe`` has no such format (or only one), or some clips lack it: one line
            naming the dataset, split, count, an example clip and the ``avbench download`` command.

    Example:
        >>> from avbench import registry
        >>> require_format(registry.dataset("synth"), Path("."), [], "mic", split="test")
        Traceback (most recent call last):
        ...
        avbench.errors.InputError: format 'mic': synth has a single audio format; remove the format option
    """
    known = tuple(getattr(recipe, "audio_formats", ()))
    if not known:
        raise InputError(f"{option} {fmt!r}: {recipe.name} has a single audio format; remove the {option} option")
    if fmt not in known:
        raise InputError(f"{option} {fmt!r}: {recipe.name} has the audio formats {', '.join(known)}")
    clips = list(clips.values()) if isinstance(clips, dict) else list(clips)
    lacking = [c.id for c in clips if fmt not in ((c.meta or {}).get("formats") or {})]
    if lacking:
        others = [f for f in known if f != fmt and all(f in ((c.meta or {}).get("formats") or {}) for c in clips)]
        alt = f", or set {option}: {others[0]}" if others else ""
        raise InputError(f"{option} {fmt!r}: {len(lacking)} of {len(clips)} clips of {recipe.name}/{split} have no "
                         f"{fmt.upper()} audio under {root} (e.g. {lacking[0]!r}); run `avbench download "
                         f"{recipe.name} --parts {fmt}`{alt}")


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """``(x, fs)``: the samples of the audio file at ``path``, float32 ``[M, N]`` (channels first),
    and its rate in Hz. WAV, FLAC, OGG... are read by soundfile; other containers (m4a, webm, mp4:
    YouTube's source codecs) are decoded by the ``youtube`` extra's ffmpeg at their own rate.

    Raises:
        InputError: the file cannot be decoded (the message is ffmpeg's last line).
        MissingExtraError: the file needs ffmpeg and the ``youtube`` extra is not installed.

    Example:
        >>> import tempfile, soundfile as sf
        >>> p = Path(tempfile.mkdtemp()) / "a.wav"
        >>> sf.write(p, np.zeros((800, 2), np.float32), 8000)
        >>> x, fs = read_audio(p)
        >>> x.shape, fs
        ((2, 800), 8000)
    """
    import os
    import subprocess
    import tempfile

    from avbench.extras import require

    sf = require("soundfile", "core")
    path = Path(path)
    try:
        x, fs = sf.read(path, dtype="float32", always_2d=True)
        return np.ascontiguousarray(x.T), int(fs)
    except sf.LibsndfileError:
        pass
    from avbench.download._youtube_clip import ffmpeg_exe

    with tempfile.TemporaryDirectory(prefix="avbench-decode-") as tmp:
        raw = Path(tmp) / "decoded.wav"
        proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", os.fspath(path),
                               "-vn", "-acodec", "pcm_f32le", "-f", "wav", os.fspath(raw)],
                              capture_output=True, text=True, errors="replace", timeout=600)  # fmt: skip
        if proc.returncode != 0 or not raw.is_file():
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            raise InputError(f"{path}: cannot decode its audio ({lines[-1] if lines else 'no audio stream'}); "
                             "fetch the clip again (`avbench download NAME --parts audio`)")
        x, fs = sf.read(raw, dtype="float32", always_2d=True)
    return np.ascontiguousarray(x.T), int(fs)
