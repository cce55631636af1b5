"""Torch networks of the reference baselines (imported by their factories only: needs torch).

Every network takes a batch of :func:`avbench.torch.collate` and returns the output of its task
kind (:mod:`avbench.models`). The visual branch runs only when ``batch["video"]`` is not ``None``,
and its contribution is selected per clip / segment / frame with ``torch.where`` on the masks, so
the visual input of a clip without video never reaches the output.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from avbench.errors import InputError

__all__ = ["visual_input", "AudioSegments", "VisualMaps", "AVE", "CRNN", "MultiEncoder", "SELDnet", "SceneLateFusion"]


def _logmel(batch: dict[str, Any]) -> torch.Tensor:
    """``[B, F, D]`` from log-mel ``[B, M, F, D]`` (channels averaged)."""
    x = batch["audio"]
    return x.mean(dim=1) if x.dim() == 4 else x


def _ceil(n: int, k: int) -> int:
    return -(-n // k)


def _norm(x: torch.Tensor) -> torch.Tensor:
    """Per-clip standardisation over time (robust to the room's gain)."""
    return (x - x.mean(dim=1, keepdim=True)) / (x.std(dim=1, keepdim=True) + 1e-5)


class AudioSegments(nn.Module):
    """Per-segment audio vectors ``[B, S, d]``: released features (projected) or log-mel statistics."""

    def __init__(self, spec: Any, d: int) -> None:
        super().__init__()
        self.s = int(spec.n_segments)
        self.features = spec.audio == "features"
        n_in = spec.audio_shape[-1] * (1 if self.features else 3)
        self.proj = nn.Sequential(nn.Linear(n_in, d), nn.ReLU())

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        if self.features:
            return self.proj(batch["audio"])
        x = _norm(_logmel(batch))
        b, f, d = x.shape
        x = x[:, : f - f % self.s].reshape(b, self.s, -1, d)
        return self.proj(torch.cat([x.mean(2), x.std(2), x.amax(2)], dim=-1))


class VisualMaps(nn.Module):
    """Per-segment visual region vectors ``[B, S, R, d]``: released VGG-19 maps (projected) or a small
    CNN on the segment's mean frame and its difference to the clip's per-pixel median frame (what
    moves or appears against the still scene; 64x64 -> 8x8 regions)."""

    def __init__(self, spec: Any, d: int) -> None:
        super().__init__()
        self.s = int(spec.n_segments)
        self.features = spec.video == "features"
        if self.features:
            self.net = nn.Sequential(nn.Linear(spec.video_shape[-1], d), nn.ReLU())
        else:
            self.net = nn.Sequential(nn.Conv2d(6, 16, 3, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv2d(16, d, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(8))

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        if self.features:  # [B, S, 7, 7, 512]
            b, s = video.shape[:2]
            return self.net(video.reshape(b, s, -1, video.shape[-1]))
        b, t = video.shape[:2]
        frames = video.float().div(255.0)[:, : t - t % self.s]
        x = frames.reshape(b, self.s, -1, *video.shape[2:]).mean(2)  # [B, S, H, W, 3]
        x = torch.cat([x, x - frames.median(dim=1).values[:, None]], dim=-1)  # and the change from the still scene
        y = self.net(x.reshape(b * self.s, *x.shape[2:]).permute(0, 3, 1, 2))  # [B*S, d, 8, 8]
        return y.flatten(2).transpose(1, 2).reshape(b, self.s, -1, y.shape[1])


def visual_input(batch: dict[str, Any]) -> torch.Tensor | None:
    """``batch["video"]``, or ``None`` when no clip of the batch has video (then it is never touched)."""
    if not bool(batch["has_video"].any()):
        return None
    return batch.get("video")


def _segment_video_mask(batch: dict[str, Any], s: int) -> torch.Tensor:
    vm = batch["video_mask"]
    if vm.shape[1] != s:
        vm = batch["has_video"][:, None].expand(-1, s)
    return vm & batch["has_video"][:, None]


class AVE(nn.Module):
    """AVE segment models on audio vectors ``a [B, S, d]`` and visual maps ``v [B, S, R, d]``.

    ``fusion``:
    - ``att`` (AV-att, Tian et al. 2018): audio-guided visual attention
      ``w = softmax_r(u^T tanh(W_v v_r + W_a a))``, ``v' = sum_r w_r v_r``; one LSTM per modality,
      concatenated states -> segment classes;
    - ``dmrn`` (dual multimodal residual network): the LSTM states ``h_a, h_v`` updated as
      ``h_m' = tanh(h_m + f((h_a + h_v) / 2))``, averaged -> classes;
    - ``audio``: the audio LSTM alone; ``visual``: max-pooled visual maps and their LSTM alone
      (segments without video get learned prior scores).

    Segments without video use the audio-only path (``torch.where`` on the segment mask).
    """

    def __init__(self, spec: Any, *, fusion: str = "att", d: int = 128, hidden: int = 128) -> None:
        super().__init__()
        self.fusion, self.s = fusion, int(spec.n_segments)
        n_out = spec.n_outputs
        self.audio = AudioSegments(spec, d) if fusion != "visual" else None
        self.visual = VisualMaps(spec, d) if fusion != "audio" else None
        if fusion in ("att", "dmrn"):
            self.wa, self.wv, self.u = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, 1)
        self.lstm_a = nn.LSTM(d, hidden, batch_first=True, bidirectional=True) if self.audio else None
        self.lstm_v = nn.LSTM(d, hidden, batch_first=True, bidirectional=True) if self.visual else None
        if fusion == "dmrn":
            self.res = nn.Sequential(nn.Linear(2 * hidden, 2 * hidden), nn.Tanh())
        self.head_a = nn.Linear(2 * hidden, n_out) if self.audio else None
        self.head_av = nn.Linear((4 if fusion == "att" else 2) * hidden, n_out) if self.visual else None
        self.prior = nn.Parameter(torch.zeros(n_out)) if fusion == "visual" else None  # segments without video

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        video = visual_input(batch)
        a = self.audio(batch) if self.audio is not None else None
        ha = self.lstm_a(a)[0] if a is not None else None
        out_a = self.head_a(ha) if ha is not None else None
        if self.visual is None or video is None:
            if out_a is None:  # visual-only model, no clip of the batch has video: the learned prior
                b = len(batch["clip_id"])
                return self.prior.expand(b, self.s, -1)
            return out_a
        mask = _segment_video_mask(batch, self.s)
        v = self.visual(video)  # [B, S, R, d]
        v = torch.where(mask[:, :, None, None], v, torch.zeros_like(v))
        if self.fusion in ("att", "dmrn"):
            w = torch.softmax(self.u(torch.tanh(self.wv(v) + self.wa(a)[:, :, None])), dim=2)
            v = (w * v).sum(dim=2)
        else:  # visual only: the strongest region (a sounding object is small in the frame)
            v = v.amax(dim=2)
        hv = self.lstm_v(v)[0]
        if self.fusion == "att":
            out_av = self.head_av(torch.cat([ha, hv], dim=-1))
        elif self.fusion == "dmrn":
            m = self.res((ha + hv) / 2)
            out_av = self.head_av((torch.tanh(ha + m) + torch.tanh(hv + m)) / 2)
        else:
            out_av = self.head_av(hv)
        if out_a is None:
            return torch.where(mask[..., None], out_av, self.prior.expand_as(out_av))
        return torch.where(mask[..., None], out_av, out_a)


class _ConvStack(nn.Module):
    """Conv 3x3 -> BN -> ReLU -> dropout -> average pool (time, freq), one block per entry."""

    def __init__(self, c_in: int, channels: list[int], pools: list[list[int]], *, dropout: float = 0.1,
                 pool: str = "avg") -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for c, p in zip(channels, pools):
            layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.Dropout(dropout),
                       (nn.AvgPool2d if pool == "avg" else nn.MaxPool2d)(tuple(p), ceil_mode=True)]
            c_in = c
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, C, T, F] -> [B, T', C' * F']
        y = self.net(x)
        return y.permute(0, 2, 1, 3).flatten(2)


class CRNN(nn.Module):
    """The DCASE Task 4 baseline shape: CNN blocks on the log-mel, a bidirectional GRU, frame-wise
    sigmoids (``[B, F', C]``, ``F' = F / prod(time pools)``)."""

    def __init__(self, spec: Any, *, channels: list[int] = (16, 32, 64), pools: list[list[int]] = ((2, 4), (2, 2), (1, 2)),
                 rnn: int = 64, dropout: float = 0.1) -> None:
        super().__init__()
        n_mels = spec.audio_shape[-1]
        self.cnn = _ConvStack(1, list(channels), [list(p) for p in pools], dropout=dropout)
        f = n_mels
        for p in pools:
            f = -(-f // p[1])
        self.rnn = nn.GRU(channels[-1] * f, rnn, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * rnn, spec.n_classes)

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        x = _norm(_logmel(batch))[:, None]
        return self.head(self.rnn(self.cnn(x))[0])


class MultiEncoder(nn.Module):
    """Paper 002's multi-encoder Transformer (small): a CNN + Transformer encoder of the log-mel and a
    Transformer encoder of per-frame visual embeddings; a shared decoder reads their convex combination
    ``w_a enc_a + (1 - w_a) enc_v`` with ``w_a = audio_weight`` for clips with video and ``1`` without
    (the visual encoder's output is then discarded with ``torch.where``). Frame-wise sigmoids."""

    def __init__(self, spec: Any, *, d: int = 64, heads: int = 4, layers: int = 2, audio_weight: float = 0.75,
                 frames: int = 64) -> None:
        super().__init__()
        self.audio_weight, self.frames = audio_weight, frames
        n_mels = spec.audio_shape[-1]
        self.cnn = _ConvStack(1, [16, 32], [[2, 4], [2, 4]])
        self.a_proj = nn.Linear(32 * _ceil(_ceil(n_mels, 4), 4), d)
        self.v_net = nn.Sequential(nn.Conv2d(3, 16, 5, stride=4, padding=2), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
                                   nn.Flatten(), nn.Linear(16 * 16, d))
        self.pos = nn.Parameter(torch.zeros(1, frames, d))

        def enc() -> nn.Module:
            return nn.TransformerEncoder(nn.TransformerEncoderLayer(d, heads, 2 * d, 0.1, batch_first=True,
                                                                    norm_first=True), layers,
                                         enable_nested_tensor=False)

        self.enc_a, self.enc_v, self.dec = enc(), enc(), enc()
        self.head = nn.Linear(d, spec.n_classes)

    def _resample(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.interpolate(x.transpose(1, 2), size=self.frames, mode="linear").transpose(1, 2)

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        a = self.enc_a(self._resample(self.a_proj(self.cnn(_norm(_logmel(batch))[:, None]))) + self.pos)
        mix = a
        video = visual_input(batch)
        if video is not None:
            b, t = video.shape[:2]
            v = self.v_net(video.float().div(255.0).reshape(b * t, *video.shape[2:]).permute(0, 3, 1, 2))
            v = self.enc_v(self._resample(v.reshape(b, t, -1)) + self.pos)
            has = batch["has_video"][:, None, None]
            mix = torch.where(has, self.audio_weight * a + (1 - self.audio_weight) * v, a)
        return self.head(self.dec(mix))


def _bin_frequencies(spec: Any, n_bins: int) -> list[float]:
    """Frequencies (Hz) of the ``n_bins`` spectrogram bins the model gets: the STFT of
    :func:`avbench.audio.spectrogram` (``2 h``-sample windows, ``h = hop * fs``) keeps ``h + 1`` bins,
    of which the dataset's ``stride`` kept every ``s``-th (``s`` recovered from the count)."""
    if not spec.sample_rate:
        raise InputError("model phase: gcc needs the clips' sample rate, which this dataset does not record "
                         "(ModelSpec.sample_rate); use model: {phase: raw}")
    fs, h = float(spec.sample_rate), int(round(spec.hop * spec.sample_rate))
    full = h + 1
    s = next((s for s in range(1, full + 1) if -(-full // s) == n_bins), None)
    if s is None:
        raise InputError(f"model phase: gcc: {n_bins} bins is no stride of the {full} bins at {fs:g} Hz; "
                         "give stride as two positive integers (frames, bins)")
    return [k * s * fs / (2 * h) for k in range(n_bins)]


class SELDnet(nn.Module):
    """SELDnet (Adavanne et al.; as configured for SECL-UMONS in paper 001): magnitude and phase of
    every channel, CNN blocks pooling frequency only, two bidirectional GRUs, a class head (sigmoids)
    and a direction head; ``output="dict"`` gives logits + Cartesian DOA (BCE + 50 x MSE), ``"accdoa"``
    the ACCDOA vectors ``[B, F, C, 3]`` and ``"multi-accdoa"`` ``[B, F, tracks, C, 3]`` (the DCASE 2022+
    baseline output). ``stride`` subsamples the input (frames, bins) for CPU budgets; ``phase="diff"``
    replaces the raw phases by the cosine and sine of each channel's phase difference to channel 0
    (the inter-channel cue a small model on little data does not find by itself); ``phase="gcc"``
    feeds the CNN the magnitudes only and gives the GRUs, beside the CNN's features, the GCC-PHAT of
    every microphone pair (as the DCASE MIC baseline's GCC input) computed from the phases at ``lags``
    delays evenly spaced in ``[-max_delay, max_delay]`` seconds:
    ``g_ij(tau) = mean_k cos(2 pi f_k tau - (phi_j(f_k) - phi_i(f_k)))`` over the input bins ``f_k``
    (their frequencies follow from ``spec.sample_rate``, ``spec.hop`` and the bin count), projected
    per frame by a linear layer + ReLU to ``gcc_dim`` values. The delay pattern over the pairs is
    a near-linear function of the direction, which a small model learns in few steps where it does
    not learn it from raw or per-bin phases (on synth small, 20 epochs: DOA error 22 deg with it, 54
    without; the contract test checks it is under 60)."""

    def __init__(self, spec: Any, *, filters: int = 64, pools: list[int] = (8, 8, 2), rnn: int = 128,
                 fnn: int = 128, output: str = "dict", tracks: int = 3, stride: list[int] = (1, 1),
                 time_pool: int = 1, phase: str = "raw", lags: int = 32, max_delay: float = 3e-4,
                 gcc_dim: int = 64) -> None:
        super().__init__()
        self.output, self.tracks, self.stride, self.c = output, tracks, tuple(stride), spec.n_classes
        if phase not in ("raw", "diff", "gcc"):
            raise InputError(f"model phase: SELDnet takes raw, diff or gcc, got {phase!r}")
        if phase == "gcc" and spec.format not in (None, "mic"):  # FOA channels are no microphone pairs
            raise InputError(f"model phase: gcc (GCC-PHAT of microphone pairs) needs the MIC format, and the "
                             f"audio read is {str(spec.format).upper()}; set format: mic, or model: {{phase: raw}} "
                             f"for {str(spec.format).upper()}")
        self.phase, self.time_pool = phase, int(time_pool)
        c_in, _, n_in_bins = spec.audio_shape
        m = c_in // 2
        if phase == "diff":  # M magnitudes + cos and sin of the M - 1 phase differences to channel 0
            c_in = m + 2 * (m - 1)
        n_bins = -(-n_in_bins // self.stride[1])
        gcc_out = 0
        if phase == "gcc":
            c_in = m
            freqs = _bin_frequencies(spec, n_in_bins)[:: self.stride[1]]
            tau = torch.linspace(-max_delay, max_delay, int(lags), dtype=torch.float64)
            arg = 2 * torch.pi * torch.as_tensor(freqs)[:, None] * tau[None]
            self.register_buffer("gcc_cos", torch.cos(arg).float() / len(freqs), persistent=False)
            self.register_buffer("gcc_sin", torch.sin(arg).float() / len(freqs), persistent=False)
            pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
            self.register_buffer("pair_i", torch.tensor([p[0] for p in pairs]), persistent=False)
            self.register_buffer("pair_j", torch.tensor([p[1] for p in pairs]), persistent=False)
            self.gcc = nn.Sequential(nn.Linear(len(pairs) * int(lags), gcc_dim), nn.ReLU())
            gcc_out = gcc_dim
        tp = [time_pool] + [1] * (len(pools) - 1)
        self.cnn = _ConvStack(c_in, [filters] * len(pools), [[t, p] for t, p in zip(tp, pools)], dropout=0.0,
                              pool="max")
        f = n_bins
        for p in pools:
            f = -(-f // p)
        self.rnn = nn.GRU(filters * f + gcc_out, rnn, num_layers=2, batch_first=True, bidirectional=True)
        n_out = {"dict": 4 * self.c, "accdoa": 3 * self.c, "multi-accdoa": 3 * tracks * self.c}[output]
        self.head = nn.Sequential(nn.Linear(2 * rnn, fnn), nn.ReLU(), nn.Linear(fnn, n_out))

    def forward(self, batch: dict[str, Any]) -> Any:
        x = batch["audio"][:, :, :: self.stride[0], :: self.stride[1]]
        m = x.shape[1] // 2
        mag = _norm(x[:, :m].transpose(1, 2)).transpose(1, 2)
        if self.phase == "gcc":
            phase = x[:, m:]
            d = phase[:, self.pair_j] - phase[:, self.pair_i]  # [B, P, F, K]
            g = torch.cos(d) @ self.gcc_cos + torch.sin(d) @ self.gcc_sin  # [B, P, F, L]
            g = self.gcc(g.permute(0, 2, 1, 3).flatten(2))  # [B, F, gcc_dim]
            if self.time_pool > 1:
                g = nn.functional.avg_pool1d(g.transpose(1, 2), self.time_pool, ceil_mode=True).transpose(1, 2)
            feats = torch.cat([self.cnn(mag), g], dim=-1)
        else:
            if self.phase == "diff":
                d = x[:, m + 1 :] - x[:, m : m + 1]
                x = torch.cat([mag, torch.cos(d), torch.sin(d)], dim=1)
            else:
                x = torch.cat([mag, x[:, m:] / 3.1416], dim=1)
            feats = self.cnn(x)
        y = self.head(self.rnn(feats)[0])
        b, f = y.shape[:2]
        if self.output == "dict":
            y = y.view(b, f, self.c, 4)
            return {"logits": y[..., 0], "doa": y[..., 1:]}
        if self.output == "accdoa":
            return torch.tanh(y.view(b, f, self.c, 3))
        return torch.tanh(y.view(b, f, self.tracks, self.c, 3))


class SceneLateFusion(nn.Module):
    """Paper 004's late fusion of an audio-embedding MLP and a visual-embedding MLP (small): the clip's
    log-mel statistics and its frames' embeddings each go through an MLP to class logits; the fused
    probabilities are the mean of the two softmaxes (``MEAN`` rule), the audio's alone without video."""

    def __init__(self, spec: Any, *, hidden: int = 128, dropout: float = 0.4) -> None:
        super().__init__()
        n_mels, c = spec.audio_shape[-1], spec.n_classes

        def mlp(n_in: int) -> nn.Module:
            return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, c))

        self.audio = mlp(3 * n_mels)
        self.v_emb = nn.Sequential(nn.Conv2d(3, 16, 5, stride=4, padding=2), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
                                   nn.Flatten())
        self.visual = mlp(16 * 16)

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        x = _logmel(batch)
        q = torch.quantile(x, 0.1, dim=1)
        pa = torch.softmax(self.audio(torch.cat([q, x.mean(1), x.std(1)], dim=-1)), dim=-1)
        video = visual_input(batch)
        if video is None:
            return torch.log(pa + 1e-8)
        b, t = video.shape[:2]
        e = self.v_emb(video[:, ::5].float().div(255.0).flatten(0, 1).permute(0, 3, 1, 2)).view(b, -1, 256).mean(1)
        pv = torch.softmax(self.visual(e), dim=-1)
        p = torch.where(batch["has_video"][:, None], (pa + pv) / 2, pa)
        return torch.log(p + 1e-8)
