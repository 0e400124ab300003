"""Tests of the materials measurement layer on synthesised audio and video."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from brandloop.materials import analyze
from brandloop.materials import audio as A

SR = 22050


def clicks(bpm: float, dur: float = 8.0, sr: int = SR) -> np.ndarray:
    y = np.zeros(int(sr * dur), np.float32)
    n = int(0.02 * sr)
    t = np.arange(n) / sr
    click = (np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.003)).astype(np.float32)
    for start in np.arange(0.05, dur - 0.03, 60.0 / bpm):
        i = int(start * sr)
        y[i:i + n] += 0.8 * click
    return y


def drums(bpm: float, dur: float = 8.0, sr: int = SR) -> np.ndarray:
    """Kick/snare on quarter notes, quiet hi-hat on eighths."""
    rng = np.random.default_rng(0)
    y = np.zeros(int(sr * dur), np.float32)
    n = int(0.1 * sr)
    t = np.arange(n) / sr
    kick = np.sin(2 * np.pi * (60 + 60 * np.exp(-t * 30)) * t) * np.exp(-t * 25)
    snare = rng.normal(size=n) * np.exp(-t * 30) * 0.5
    hat = rng.normal(size=n) * np.exp(-t * 120) * 0.15
    for k, start in enumerate(np.arange(0.0, dur - 0.11, 30.0 / bpm)):
        i = int(start * sr)
        if k % 2 == 0:
            y[i:i + n] += kick if (k // 2) % 2 == 0 else snare
        y[i:i + n] += hat
    return (0.7 * y / np.abs(y).max()).astype(np.float32)


def chord(freqs, dur: float = 4.0, sr: int = SR, amp: float = 0.2) -> np.ndarray:
    t = np.arange(int(sr * dur)) / sr
    y = sum(a * np.sin(2 * np.pi * f * h * t) for f in freqs for h, a in ((1, 1.0), (2, 0.5), (3, 0.25)))
    return (amp * y / len(freqs)).astype(np.float32)


def pseudo_speech(dur: float = 6.0, sr: int = SR) -> np.ndarray:
    """Syllable-like bursts (voiced, gliding pitch, ~4/s, irregular) separated by pauses."""
    rng = np.random.default_rng(1)
    y = np.zeros(int(sr * dur), np.float32)
    t0 = 0.1
    while t0 < dur - 0.4:
        length = rng.uniform(0.12, 0.25)
        n = int(length * sr)
        t = np.arange(n) / sr
        f0 = rng.uniform(110, 180) * (1 + 0.3 * t / length)
        phase = 2 * np.pi * np.cumsum(f0) / sr
        voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
        env = np.sin(np.pi * t / length) ** 2
        i = int(t0 * sr)
        y[i:i + n] += (0.3 * voiced * env).astype(np.float32)
        t0 += length + rng.uniform(0.05, 0.35) + (0.5 if rng.random() < 0.15 else 0)
    return y


# ----------------------------------------------------------------------------- audio
@pytest.mark.parametrize("bpm", [60, 90, 120, 150, 180])
def test_tempo_of_click_tracks(bpm):
    t = A.tempo(clicks(bpm), SR)
    assert t["bpm"] == pytest.approx(bpm, rel=0.05)


@pytest.mark.parametrize("bpm", [70, 100, 128, 160])
def test_tempo_of_drum_patterns(bpm):
    t = A.tempo(drums(bpm), SR)
    assert t["bpm"] == pytest.approx(bpm, rel=0.05)


@pytest.mark.parametrize(
    "freqs,label",
    [([220.0, 277.18, 329.63], "A major"), ([261.63, 329.63, 392.0], "C major"),
     ([220.0, 261.63, 329.63], "A minor"), ([164.81, 196.0, 246.94], "E minor")],
)
def test_key_of_triads(freqs, label):
    assert A.key_estimate(chord(freqs), SR)["label"] == label


def test_noise_has_no_steady_beat_or_clear_key():
    y = (np.random.default_rng(0).normal(size=SR * 10) * 0.1).astype(np.float32)
    assert A.tempo(y, SR)["steady"] is False
    assert A.key_estimate(y, SR)["clear"] is False
    assert A.key_estimate(chord([220.0, 277.18, 329.63]), SR)["clear"] is True


def test_speech_vs_music_heuristic():
    music = A.speech_music(chord([220.0, 277.18, 329.63], dur=6), SR)
    assert music["music_share"] >= 0.8
    beat = A.speech_music(drums(120), SR)
    assert beat["music_share"] >= 0.8
    speech = A.speech_music(pseudo_speech(), SR)
    assert speech["speech_share"] >= 0.6


def test_analyze_wav_file_with_loudness_and_energy_profile(tmp_path):
    y = np.concatenate([0.1 * clicks(120, dur=4.0), clicks(120, dur=4.0)])  # gets louder
    y = y + chord([220.0, 277.18, 329.63], dur=8.0, amp=0.05)
    stereo = np.stack([y, y], axis=1)
    p = tmp_path / "jingle.wav"
    sf.write(p, stereo, SR)
    r = analyze(p)
    assert r.error is None and r.kind == "audio"
    f = r.features
    assert f["duration_s"] == pytest.approx(8.0, abs=0.05) and f["channels"] == 2
    assert f["tempo"]["bpm"] == pytest.approx(120, rel=0.05)
    assert f["peak_dbfs"] == pytest.approx(20 * np.log10(np.abs(y).max()), abs=0.1)
    assert -40 < f["rms_dbfs"] < f["peak_dbfs"]
    ep = f["energy_profile"]
    assert len(ep["rms_dbfs"]) == 8 and ep["trend"] == "rising" and ep["loudest_s"] >= 4
    assert f["asr"] == {"status": "not configured"}
    units = {x.unit for x in r.facts}
    assert {"BPM", "dBFS", "s"} <= units
    assert "120 BPM" in r.prompt_digest and len(r.prompt_digest) <= 800


@pytest.mark.parametrize("ext,fmt", [(".flac", "FLAC"), (".ogg", "OGG"), (".mp3", "MP3")])
def test_compressed_audio_formats(tmp_path, ext, fmt):
    if fmt not in sf.available_formats():
        pytest.skip(f"libsndfile lacks {fmt}")
    p = tmp_path / f"tone{ext}"
    sf.write(p, chord([220.0, 277.18, 329.63], dur=3.0, sr=44100), 44100, format=fmt)
    r = analyze(p)
    assert r.error is None, r.error
    assert r.features["duration_s"] == pytest.approx(3.0, abs=0.1)
    assert r.features["key"]["label"] == "A major"


# ----------------------------------------------------------------------------- video
def make_video(path: Path, segments, *, fps: int = 10, size=(160, 90), audio: np.ndarray | None = None, sr: int = 22050):
    """segments: [(rgb, seconds) or (rgb, seconds, caption)] of solid colour frames."""
    import av
    from PIL import Image, ImageDraw, ImageFont

    with av.open(str(path), "w") as out:
        vs = out.add_stream("mpeg4", rate=fps)
        vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
        aus = None
        if audio is not None:
            aus = out.add_stream("aac", rate=sr)
            aus.layout = "mono"
        for rgb, seconds, *caption in segments:
            pil = Image.new("RGB", size, rgb)
            if caption:
                font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
                font = ImageFont.truetype(font_path, size[1] // 6) if Path(font_path).exists() else ImageFont.load_default(size[1] // 6)
                ImageDraw.Draw(pil).text((size[0] // 10, size[1] // 3), caption[0], font=font, fill="white")
            img = np.asarray(pil)
            for _ in range(int(round(seconds * fps))):
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                for pkt in vs.encode(frame):
                    out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if aus is not None:
            hop = 1024
            for k, i in enumerate(range(0, len(audio), hop)):
                chunk = audio[i:i + hop].astype(np.float32)
                if len(chunk) < hop:
                    chunk = np.pad(chunk, (0, hop - len(chunk)))
                af = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
                af.sample_rate, af.pts, af.time_base = sr, i, Fraction(1, sr)
                for pkt in aus.encode(af):
                    out.mux(pkt)
            for pkt in aus.encode():
                out.mux(pkt)
    return path


def test_video_scene_cuts_keyframes_and_audio_track(tmp_path):
    segs = [((220, 30, 30), 1.5), ((30, 160, 60), 1.0), ((20, 40, 200), 1.5)]
    p = make_video(tmp_path / "spot.mp4", segs, audio=clicks(120, dur=4.0))
    r = analyze(p)
    assert r.error is None, r.error
    f = r.features
    assert (f["width"], f["height"]) == (160, 90) and f["aspect_label"] == "16:9"
    assert f["fps"] == pytest.approx(10)
    assert f["duration_s"] == pytest.approx(4.0, abs=0.25)
    assert f["scene_count"] == 3
    assert f["cut_times_s"][0] == pytest.approx(1.5, abs=0.5) and f["cut_times_s"][1] == pytest.approx(2.5, abs=0.5)
    colours = [kf["dominant_colors"][0]["name"] for kf in f["keyframes"]]
    assert colours == ["red", "green", "blue"]
    assert [kf["time_s"] for kf in f["keyframes"]][0] == 0.0
    assert "exif" not in f["keyframes"][0]
    assert f["audio"]["tempo"]["bpm"] == pytest.approx(120, rel=0.05)
    assert any(x.unit == "scenes" and x.value == 3 for x in r.facts)
    assert "3 scene(s)" in r.prompt_digest and len(r.prompt_digest) <= 800


def test_video_without_audio_webm(tmp_path):
    import av

    p = tmp_path / "clip.webm"
    with av.open(str(p), "w") as out:
        vs = out.add_stream("libvpx", rate=8)
        vs.width, vs.height, vs.pix_fmt = 64, 64, "yuv420p"
        for i in range(16):
            img = np.full((64, 64, 3), 250 if i < 8 else 5, np.uint8)
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
    r = analyze(p)
    assert r.error is None, r.error
    f = r.features
    assert f["audio"] is None and f["orientation"] == "square"
    assert f["scene_count"] == 2 and f["cut_times_s"][0] == pytest.approx(1.0, abs=0.5)
    assert [kf["dominant_colors"][0]["name"] for kf in f["keyframes"]] == ["white", "black"]


@pytest.mark.skipif(__import__("shutil").which("tesseract") is None, reason="tesseract-ocr not installed")
def test_mov_keyframe_text_is_read(tmp_path):
    segs = [((10, 10, 10), 1.0), ((0, 0, 128), 1.0, "SALE 50% OFF")]
    r = analyze(make_video(tmp_path / "promo.mov", segs, size=(480, 270)))
    assert r.error is None, r.error
    kf = r.features["keyframes"]
    assert len(kf) == 2 and kf[1]["time_s"] == pytest.approx(1.0, abs=0.5)
    assert "SALE 50% OFF" in kf[1]["ocr"]["text"] and "SALE 50% OFF" in r.text
    assert any(x.unit == "%" and x.value == 50 and "#ocr" in x.source for x in r.facts)


def test_keyframes_keep_longest_scenes_within_memory_bound(tmp_path, monkeypatch):
    from brandloop.materials import video

    monkeypatch.setattr(video, "MAX_HELD_FRAMES", 2)
    monkeypatch.setattr(video, "MAX_KEYFRAMES", 2)
    segs = [((220, 30, 30), 0.6), ((30, 160, 60), 1.5), ((20, 40, 200), 0.6), ((250, 250, 250), 1.2)]
    r = analyze(make_video(tmp_path / "many.mp4", segs))
    f = r.features
    assert f["scene_count"] == 4
    assert [kf["scene_index"] for kf in f["keyframes"]] == [1, 3]
    assert [kf["dominant_colors"][0]["name"] for kf in f["keyframes"]] == ["green", "white"]
