"""DESED's audio files from YouTube sections, as DESED's own download script writes them.

DESED's script (``desed.download_real``) fetches a clip's best audio stream, loads the
``[start, end]`` section resampled to 44.1 kHz and saves it under the metadata's file name,
``Y<YTID>_<start>_<end>.wav`` with start and end in seconds with three decimals
(:func:`wav_name`; ``Y-BJNMHMZDcU_50.000_60.000.wav``), as 16-bit PCM WAV, channels kept.
avbench fetches the section through the download engine (``youtube/``, recorded in the
availability manifest) and :func:`write_wav` turns it into that file: decoded by the ``youtube``
extra's ffmpeg at the source rate, resampled to 44,100 Hz with scipy's polyphase filter
(:func:`avbench.audio.resample`; DESED uses librosa's ``kaiser_best``, so samples differ by the
filter, not the rate, length or name), clipped to [-1, 1], written atomically.

Example:
    >>> wav_name("-BJNMHMZDcU", 50.0, 60.0)
    'Y-BJNMHMZDcU_50.000_60.000.wav'
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["RATE", "wav_name", "write_wav"]

RATE = 44100


def wav_name(ytid: str, start: float, end: float) -> str:
    """The file name DESED gives the section ``[start, end]`` (seconds) of YouTube video ``ytid``."""
    return f"Y{ytid}_{start:.3f}_{end:.3f}.wav"


def write_wav(src: Path, dest: Path, *, rate: int = RATE) -> tuple[int, int]:
    """Decode ``src`` (any container ffmpeg reads: :func:`avbench.audio.read_audio`), resample to
    ``rate`` Hz, write 16-bit PCM WAV to ``dest`` atomically; returns ``(frames, channels)`` written.

    Raises:
        InputError: ``src`` cannot be decoded or holds no audio (the message is ffmpeg's).
        MissingExtraError: the ``youtube`` extra (its ffmpeg) is not installed.
    """
    import numpy as np
    import soundfile as sf

    from avbench.audio import read_audio, resample

    x, fs = read_audio(src)  # [C, N]
    y = np.clip(resample(x, fs, rate), -1.0, 1.0).T
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".desed-", dir=dest.parent) as tmp:
        part = Path(tmp) / dest.name
        sf.write(part, y, rate, subtype="PCM_16")
        os.replace(part, dest)
    return int(y.shape[0]), int(y.shape[1])
