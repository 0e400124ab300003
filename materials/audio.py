"""Audio measurements: duration, loudness and energy profile, tempo, key/mode, speech-vs-music share.

Pure numpy/scipy signal processing (no librosa). Every estimator here is a documented
heuristic; see docs/materials.md for what each number means and where it fails.
"""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from . import hooks

SR = 22050  # analysis sample rate
MAX_DECODE_S = 20 * 60  # decode at most this much audio
MAX_SPECTRAL_S = 300  # tempo / key / speech analysis on at most the first 5 minutes
SILENCE_DB = -50.0

# Krumhansl-Kessler key profiles, index 0 = tonic.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
PITCH_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


# ----------------------------------------------------------------------------- decoding
def _to_analysis_rate(y: np.ndarray, sr: int) -> np.ndarray:
    if sr == SR or y.size == 0:
        return y.astype(np.float32, copy=False)
    g = gcd(int(sr), SR)
    return resample_poly(y, SR // g, int(sr) // g).astype(np.float32)


def decode_file(path: Path) -> tuple[np.ndarray, int, dict]:
    """Decode an audio file to mono float32 at the analysis rate.

    Uses soundfile (libsndfile: WAV/FLAC/OGG/MP3) and falls back to PyAV (FFmpeg).
    Returns (samples, SR, info) where info holds the native rate/channels/peak.
    """
    try:
        import soundfile as sf

        with sf.SoundFile(str(path)) as f:
            native_sr, channels = f.samplerate, f.channels
            frames = f.frames if f.frames and f.frames > 0 else -1
            info = {"decoder": "soundfile", "format": f.format, "subtype": f.subtype,
                    "native_sample_rate": native_sr, "channels": channels,
                    "file_duration_s": round(f.frames / native_sr, 3) if frames > 0 else None}
            limit = int(MAX_DECODE_S * native_sr)
            chunks, peak, total = [], 0.0, 0
            while total < limit:  # blockwise, mixed to mono per block to bound memory
                block = f.read(frames=min(10 * native_sr, limit - total), dtype="float32", always_2d=True)
                if not block.size:
                    break
                peak = max(peak, float(np.max(np.abs(block))))
                chunks.append(block.mean(axis=1))
                total += block.shape[0]
        mono = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        info["peak"] = peak
        return _to_analysis_rate(mono, native_sr), SR, info
    except Exception as sf_exc:  # noqa: BLE001 - boundary: libsndfile on a user's file; fall back to FFmpeg
        try:
            return decode_av(path)
        except Exception as av_exc:  # noqa: BLE001 - boundary: FFmpeg on a user's file
            raise ValueError(f"cannot decode audio (soundfile: {sf_exc}; PyAV: {av_exc})") from av_exc


def decode_av(path_or_container, *, stream_index: int | None = None) -> tuple[np.ndarray, int, dict]:
    """Decode the (first) audio stream with PyAV, resampled to mono float at SR."""
    import av

    own = not hasattr(path_or_container, "streams")
    container = av.open(str(path_or_container)) if own else path_or_container
    try:
        streams = container.streams.audio
        if not streams:
            raise ValueError("no audio stream")
        stream = streams[stream_index or 0]
        native_sr = stream.codec_context.sample_rate or stream.rate
        channels = stream.codec_context.channels if hasattr(stream.codec_context, "channels") else None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SR)
        chunks: list[np.ndarray] = []
        total = 0
        for frame in container.decode(stream):
            frame.pts = None
            for out in resampler.resample(frame):
                a = out.to_ndarray().reshape(-1)
                chunks.append(a)
                total += a.size
            if total >= MAX_DECODE_S * SR:
                break
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
        y = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
        info = {"decoder": "pyav", "codec": stream.codec_context.name, "native_sample_rate": native_sr,
                "channels": channels, "peak": float(np.max(np.abs(y))) if y.size else 0.0}
        return y, SR, info
    finally:
        if own:
            container.close()


# ----------------------------------------------------------------------------- helpers
def _db(x: float) -> float:
    return round(float(20 * np.log10(max(x, 1e-10))), 2)


def _frames(y: np.ndarray, size: int, hop: int) -> np.ndarray:
    if y.size < size:
        y = np.pad(y, (0, size - y.size))
    n = 1 + (y.size - size) // hop
    return np.lib.stride_tricks.as_strided(y, shape=(n, size), strides=(y.strides[0] * hop, y.strides[0]))


def _stft_mag(y: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    fr = _frames(np.ascontiguousarray(y, dtype=np.float32), n_fft, hop)
    return np.abs(np.fft.rfft(fr * np.hanning(n_fft).astype(np.float32), axis=1)).astype(np.float32)


# ----------------------------------------------------------------------------- loudness
def loudness(y: np.ndarray, sr: int, peak: float | None = None) -> dict:
    rms = float(np.sqrt(np.mean(y.astype(np.float64) ** 2))) if y.size else 0.0
    pk = float(peak if peak is not None else (np.max(np.abs(y)) if y.size else 0.0))
    sec = max(1, int(np.ceil(y.size / sr)))
    per_s = [float(np.sqrt(np.mean(y[i * sr:(i + 1) * sr].astype(np.float64) ** 2))) if y[i * sr:(i + 1) * sr].size else 0.0
             for i in range(sec)]
    per_db = np.array([_db(v) for v in per_s])
    seg_len = 1.0
    profile = per_db
    if len(per_db) > 60:  # summarise long files in 60 equal segments
        idx = np.array_split(np.arange(len(per_db)), 60)
        profile = np.array([_db(np.sqrt(np.mean(np.square(np.array(per_s)[i])))) for i in idx])
        seg_len = round(len(per_db) / 60, 2)
    active = per_db[per_db > SILENCE_DB]
    third = max(1, len(per_db) // 3)
    first, last = per_db[:third].mean(), per_db[-third:].mean()
    trend = "flat"
    if len(per_db) >= 3 and last - first > 3:
        trend = "rising"
    elif len(per_db) >= 3 and first - last > 3:
        trend = "falling"
    return {
        "rms_dbfs": _db(rms),
        "peak_dbfs": _db(pk),
        "crest_factor_db": round(_db(pk) - _db(rms), 2) if rms > 0 else None,
        "clipping_share": round(float(np.mean(np.abs(y) >= 0.999)), 4) if y.size else 0.0,
        "energy_profile": {
            "segment_s": seg_len,
            "rms_dbfs": [round(float(v), 1) for v in profile],
            "loudest_s": int(np.argmax(per_db)),
            "quietest_s": int(np.argmin(per_db)),
            "dynamic_range_db": round(float(np.percentile(active, 95) - np.percentile(active, 10)), 1) if active.size else 0.0,
            "silent_share": round(float(np.mean(per_db <= SILENCE_DB)), 3),
            "trend": trend,
        },
    }


# ----------------------------------------------------------------------------- tempo
def onset_envelope(y: np.ndarray, sr: int, hop: int = 256, n_fft: int = 1024,
                   compression: float | None = 100.0) -> tuple[np.ndarray, float]:
    """Spectral-flux onset strength (log magnitude, half-wave rectified, adaptive mean removed).

    ``compression=None`` uses linear magnitudes (keeps loud accents loud)."""
    S = _stft_mag(y, n_fft, hop)
    logS = np.log1p(compression * S) if compression else S
    flux = np.maximum(0.0, np.diff(logS, axis=0)).sum(axis=1)
    fps = sr / hop
    w = max(1, int(0.4 * fps))
    local = np.convolve(flux, np.ones(w) / w, mode="same")
    env = np.maximum(0.0, flux - local)
    # light smoothing so onsets falling between frames still line up in the autocorrelation
    env = np.convolve(env, np.array([1, 4, 6, 4, 1], dtype=np.float64) / 16, mode="same")
    return env, fps


def _peak_interp(ac: np.ndarray, i: int) -> float:
    if 0 < i < len(ac) - 1:
        a, b, c = ac[i - 1], ac[i], ac[i + 1]
        den = a - 2 * b + c
        if den != 0:
            return i + 0.5 * (a - c) / den
    return float(i)


def _alternation(env: np.ndarray, period: float) -> tuple[float, float]:
    """Onset strength at the best phase of a 2*period comb and at the half-way phase."""
    p2 = 2 * period
    n = int((env.size - 3) // p2)
    if n < 2:
        return 0.0, 0.0

    def comb(phase: float) -> float:
        idx = np.round(phase + p2 * np.arange(n)).astype(int)
        idx = idx[(idx >= 1) & (idx < env.size - 1)]
        return float(np.maximum(np.maximum(env[idx - 1], env[idx]), env[idx + 1]).sum())

    sums = [comb(ph) for ph in range(int(np.ceil(p2)))]
    best = int(np.argmax(sums))
    return sums[best], comb(best + period)


def tempo(y: np.ndarray, sr: int, lo_bpm: float = 60.0, hi_bpm: float = 180.0) -> dict:
    """Tempo by autocorrelation of the onset envelope.

    Among autocorrelation peaks inside [lo_bpm, hi_bpm], the shortest lag whose peak is
    >= 80 % of the best one wins (so a 120 BPM click is not reported as 60); the period is
    then refined by a least-squares fit over the peaks at its multiples.
    """
    env, fps = onset_envelope(y, sr)
    if env.size < fps * 2 or not np.any(env > 0):
        return {"bpm": None, "confidence": 0.0, "reason": "too short or no onsets"}
    x = env - env.mean()
    n = int(2 ** np.ceil(np.log2(2 * x.size)))
    F = np.fft.rfft(x, n)
    ac = np.fft.irfft(F * np.conj(F), n)[: x.size]
    ac = ac / (np.arange(x.size, 0, -1))  # unbiased
    if ac[0] <= 0:
        return {"bpm": None, "confidence": 0.0, "reason": "flat onset envelope"}
    ac = ac / ac[0]
    lag_min, lag_max = int(np.floor(fps * 60 / hi_bpm)), int(np.ceil(fps * 60 / lo_bpm))
    lag_max = min(lag_max, x.size // 2)
    if lag_max <= lag_min + 2:
        return {"bpm": None, "confidence": 0.0, "reason": "too short"}
    peaks = [i for i in range(max(lag_min, 1), lag_max + 1)
             if i + 1 < ac.size and ac[i] >= ac[i - 1] and ac[i] > ac[i + 1] and ac[i] > 0]
    if not peaks:
        return {"bpm": None, "confidence": 0.0, "reason": "no periodicity"}
    best = max(ac[i] for i in peaks)
    chosen = min(i for i in peaks if ac[i] >= 0.8 * best)
    lag = _peak_interp(ac, chosen)
    # refine with multiples k*lag (within the first 8 s of lags)
    ks, ls = [1.0], [lag]
    for k in range(2, 17):
        centre = k * lag
        if centre + 3 >= min(ac.size, 8 * fps) or centre + 3 >= x.size // 2:
            break
        lo, hi = int(centre) - 2, int(centre) + 3
        j = lo + int(np.argmax(ac[lo:hi + 1]))
        if ac[j] < 0.5 * ac[chosen]:
            continue
        ks.append(float(k))
        ls.append(_peak_interp(ac, j))
    ks_a, ls_a = np.array(ks), np.array(ls)
    period = float((ks_a * ls_a).sum() / (ks_a ** 2).sum())
    # metrical check: if every other pulse is much weaker (e.g. hi-hat 8ths between
    # kick/snare quarters), the beat is the doubled period.
    doubled = False
    if 60.0 * fps / (2 * period) >= lo_bpm and env.size > 6 * period:
        strong, weak = _alternation(onset_envelope(y, sr, compression=None)[0], period)
        if strong > 0 and weak < 0.3 * strong:
            period *= 2
            doubled = True
    bpm = 60.0 * fps / period
    conf = float(np.clip(ac[chosen], 0, 1))
    out = {"bpm": round(bpm, 1), "confidence": round(conf, 2), "steady": conf >= 0.15}
    if doubled:
        out["note"] = "alternate pulses weaker: reported the slower (doubled-period) beat"
    if conf < 0.15:
        out["note"] = "weak periodicity; no steady beat"
    return out


# ----------------------------------------------------------------------------- key
def chroma(y: np.ndarray, sr: int, n_fft: int = 8192, hop: int = 4096, fmin: float = 65.0, fmax: float = 2100.0) -> np.ndarray:
    """12-bin pitch-class profile (C..B) from magnitude spectra; frames are L1-normalised then summed."""
    S = _stft_mag(y, n_fft, hop)
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    sel = (freqs >= fmin) & (freqs <= fmax)
    pcs = (np.round(12 * np.log2(freqs[sel] / 440.0)).astype(int) + 9) % 12
    M = np.zeros((sel.sum(), 12), dtype=np.float32)
    M[np.arange(sel.sum()), pcs] = 1.0
    C = S[:, sel] @ M  # frames x 12
    energy = C.sum(axis=1, keepdims=True)
    keep = energy[:, 0] > 1e-3 * max(float(energy.max()), 1e-12)
    if not keep.any():
        return np.zeros(12)
    C = C[keep] / energy[keep]
    prof = C.sum(axis=0)
    return prof / prof.sum()


def key_estimate(y: np.ndarray, sr: int) -> dict:
    """Krumhansl-Schmuckler key finding: correlate chroma with the 24 rotated KK profiles."""
    c = chroma(y, sr)
    if not c.any() or np.allclose(c, c.mean()):
        return {"key": None, "mode": None, "confidence": 0.0, "reason": "no tonal content"}
    scores = []
    for tonic in range(12):
        for mode, prof in (("major", KK_MAJOR), ("minor", KK_MINOR)):
            r = float(np.corrcoef(c, np.roll(prof, tonic))[0, 1])
            scores.append((r, tonic, mode))
    scores.sort(reverse=True)
    r, tonic, mode = scores[0]
    second = scores[1]
    return {
        "key": PITCH_NAMES[tonic],
        "mode": mode,
        "label": f"{PITCH_NAMES[tonic]} {mode}",
        "correlation": round(r, 3),
        "confidence": round(r - second[0], 3),  # margin over the runner-up
        "clear": r >= 0.5,  # noise / atonal material correlates weakly with every profile
        "runner_up": f"{PITCH_NAMES[second[1]]} {second[2]}",
        "chroma": {PITCH_NAMES[i]: round(float(v), 3) for i, v in enumerate(c)},
    }


# ----------------------------------------------------------------------------- speech vs music
def speech_music(y: np.ndarray, sr: int) -> dict:
    """Share of 1-s windows that look like speech, music or silence (heuristic, see docs).

    Per 2-s window (1-s hop) on 25 ms frames / 10 ms hop:
      * ``mod_depth``  = std/mean of frame RMS (speech: syllables and pauses -> high),
      * ``mod4``       = share of envelope modulation energy in 2.5-7 Hz (syllable rate),
      * ``regularity`` = best normalised envelope autocorrelation at 0.25-1.0 s (beats -> high),
      * ``flat``       = mean spectral flatness.
    A window is speech when it is strongly modulated at syllable rate but not periodic:
    ``mod_depth > 0.45 and mod4 > 0.25 and regularity < 0.5``; silent windows (< -50 dBFS) are silence.
    """
    flen, fhop = int(0.025 * sr), int(0.010 * sr)
    fr = _frames(np.ascontiguousarray(y, dtype=np.float32), flen, fhop)
    rms = np.sqrt(np.mean(fr.astype(np.float64) ** 2, axis=1)) + 1e-12
    spec = np.abs(np.fft.rfft(fr * np.hanning(flen), axis=1)) + 1e-10
    flat = np.exp(np.mean(np.log(spec), axis=1)) / np.mean(spec, axis=1)
    fps = 100
    win, hop = 2 * fps, fps
    labels = []
    details = []
    n = len(rms)
    starts = range(0, max(1, n - win + 1), hop) if n >= win else [0]
    for s in starts:
        r = rms[s:s + win]
        level = _db(float(np.sqrt(np.mean(r ** 2))))
        if level < SILENCE_DB:
            labels.append("silence")
            continue
        mod_depth = float(r.std() / r.mean())
        env = r - r.mean()
        P = np.abs(np.fft.rfft(env * np.hanning(len(env)), 512)) ** 2
        f = np.fft.rfftfreq(512, 1 / fps)
        band = P[(f >= 0.5) & (f <= 20)].sum() + 1e-20
        mod4 = float(P[(f >= 2.5) & (f <= 7)].sum() / band)
        ac = np.correlate(env, env, "full")[len(env) - 1:]
        ac = ac / (ac[0] + 1e-20)
        regularity = float(ac[25:min(len(ac), 101)].max()) if len(ac) > 26 else 0.0
        is_speech = mod_depth > 0.45 and mod4 > 0.25 and regularity < 0.5
        labels.append("speech" if is_speech else "music")
        details.append((mod_depth, mod4, regularity, float(flat[s:s + win].mean())))
    total = len(labels) or 1
    d = np.array(details) if details else np.zeros((1, 4))
    return {
        "speech_share": round(labels.count("speech") / total, 3),
        "music_share": round(labels.count("music") / total, 3),
        "silence_share": round(labels.count("silence") / total, 3),
        "windows": len(labels),
        "mean_mod_depth": round(float(d[:, 0].mean()), 3),
        "mean_mod4": round(float(d[:, 1].mean()), 3),
        "mean_regularity": round(float(d[:, 2].mean()), 3),
        "mean_spectral_flatness": round(float(d[:, 3].mean()), 3),
        "method": "heuristic: envelope modulation depth, 4 Hz modulation share, rhythmic regularity",
    }


# ----------------------------------------------------------------------------- all together
def describe_audio(y: np.ndarray, sr: int, *, peak: float | None = None, asr_model: str | None = None) -> dict:
    feats: dict = {"duration_s": round(y.size / sr, 3), "sample_rate_analysed": sr}
    feats.update(loudness(y, sr, peak))
    if feats["energy_profile"]["silent_share"] >= 1.0 or y.size < sr // 2:
        feats["tempo"] = {"bpm": None, "confidence": 0.0, "reason": "silent or shorter than 0.5 s"}
        feats["key"] = {"key": None, "mode": None, "confidence": 0.0, "reason": "silent or too short"}
        feats["content"] = {"speech_share": 0.0, "music_share": 0.0, "silence_share": 1.0}
    else:
        seg = y[: MAX_SPECTRAL_S * sr]
        feats["tempo"] = tempo(seg, sr)
        feats["key"] = key_estimate(seg, sr)
        feats["content"] = speech_music(seg, sr)
    feats["asr"] = hooks.transcribe(y, sr, asr_model)
    return feats
