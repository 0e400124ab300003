"""Video measurements: container facts, scene cuts with keyframes described as images, audio track."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import audio as audio_mod
from .image import describe_image, geometry

SAMPLE_FPS = 8.0  # frames compared per second (cut times are accurate to ~1/SAMPLE_FPS)
MAX_VIDEO_S = 600.0  # analyse at most the first 10 minutes
MAX_KEYFRAMES = 12
MAX_HELD_FRAMES = 48  # keyframe candidates kept in memory (longest scenes win)
KEYFRAME_MAX_SIDE = 960
MIN_SCENE_S = 0.4
HIST_CUT = 0.35  # colour-histogram distance (0-1) that marks a cut
PIXEL_CUT = 0.20  # or mean absolute pixel difference (0-1) on a 64x36 thumbnail


def _hist(thumb: np.ndarray) -> np.ndarray:
    q = (thumb // 32).astype(np.int32)  # 8 levels per channel -> 512 bins
    idx = q[..., 0] * 64 + q[..., 1] * 8 + q[..., 2]
    h = np.bincount(idx.reshape(-1), minlength=512).astype(np.float64)
    return h / h.sum()


def _keep(frame):
    img = frame.to_image()
    img.thumbnail((KEYFRAME_MAX_SIDE, KEYFRAME_MAX_SIDE))
    return img


def _evict(cuts: list[list]) -> None:
    """Bound memory: drop the image of the shortest finished scene beyond MAX_HELD_FRAMES."""
    held = [i for i, c in enumerate(cuts[:-1]) if c[1] is not None]
    if len(held) + 1 > MAX_HELD_FRAMES:
        shortest = min(held, key=lambda i: cuts[i + 1][0] - cuts[i][0])
        cuts[shortest][1] = None


def scan(path: Path) -> tuple[dict, list[dict], list]:
    """Decode the video stream; return (stream info, scenes, keyframe PIL images)."""
    import av

    with av.open(str(path)) as container:
        vs = container.streams.video
        if not vs:
            raise ValueError("no video stream")
        stream = vs[0]
        stream.thread_type = "AUTO"
        cc = stream.codec_context
        fps = float(stream.average_rate) if stream.average_rate else (float(stream.guessed_rate) if stream.guessed_rate else None)
        duration = None
        if stream.duration is not None and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        info = {
            "codec": cc.name,
            "width": cc.width,
            "height": cc.height,
            "fps": round(fps, 3) if fps else None,
            "container_duration_s": round(duration, 3) if duration else None,
            "bit_rate": container.bit_rate,
            "has_audio": bool(container.streams.audio),
        }
        cuts: list[tuple[float, object]] = []
        prev_thumb = prev_hist = None
        next_sample = 0.0
        last_t = 0.0
        decoded = 0
        last_cut = -1e9
        for frame in container.decode(stream):
            t = float(frame.time) if frame.time is not None else decoded / (fps or 25.0)
            decoded += 1
            last_t = max(last_t, t)
            if t > MAX_VIDEO_S:
                info["truncated_at_s"] = MAX_VIDEO_S
                break
            if t + 1e-6 < next_sample:
                continue
            next_sample = t + 1.0 / SAMPLE_FPS
            thumb = frame.reformat(width=64, height=36, format="rgb24").to_ndarray()
            hist = _hist(thumb)
            if prev_thumb is None:
                cuts.append([t, _keep(frame)])
                last_cut = t
            else:
                hd = 0.5 * float(np.abs(hist - prev_hist).sum())
                pd = float(np.abs(thumb.astype(np.int16) - prev_thumb.astype(np.int16)).mean()) / 255.0
                if (hd > HIST_CUT or pd > PIXEL_CUT) and t - last_cut >= MIN_SCENE_S:
                    cuts.append([t, _keep(frame)])
                    last_cut = t
                    _evict(cuts)
            prev_thumb, prev_hist = thumb, hist
        info["frames_decoded"] = decoded
        end = (last_t + (1.0 / fps if fps else 0.0)) if decoded else 0.0
        info["duration_s"] = round(duration if duration else end, 3)
    scenes = []
    for i, (t, _) in enumerate(cuts):
        stop = cuts[i + 1][0] if i + 1 < len(cuts) else info["duration_s"]
        scenes.append({"index": i, "start_s": round(t, 3), "end_s": round(stop, 3), "length_s": round(stop - t, 3)})
    return info, scenes, [img for _, img in cuts]


def _pick_keyframes(scenes: list[dict], images: list) -> list[int]:
    candidates = [i for i in range(len(scenes)) if images[i] is not None]
    # keep the longest scenes, in time order
    return sorted(sorted(candidates, key=lambda i: -scenes[i]["length_s"])[:MAX_KEYFRAMES])


def describe_video(path: Path, *, caption_model: str | None = None, asr_model: str | None = None) -> dict:
    info, scenes, images = scan(path)
    feats: dict = dict(info)
    feats.update({k: v for k, v in geometry(info["width"], info["height"]).items() if k not in ("width", "height")})
    feats["scene_count"] = len(scenes)
    feats["cut_times_s"] = [s["start_s"] for s in scenes[1:]]
    feats["scenes"] = scenes[:200]
    feats["mean_scene_length_s"] = round(float(np.mean([s["length_s"] for s in scenes])), 3) if scenes else None
    keyframes = []
    for i in _pick_keyframes(scenes, images):
        img_feats = describe_image(images[i], with_exif=False, with_geometry=False, caption_model=caption_model)
        keyframes.append({"time_s": scenes[i]["start_s"], "scene_index": i, **img_feats})
    feats["keyframes"] = keyframes
    if info["has_audio"]:
        try:
            y, sr, ainfo = audio_mod.decode_av(path)
            feats["audio"] = {"codec": ainfo.get("codec"), "native_sample_rate": ainfo.get("native_sample_rate"),
                              **audio_mod.describe_audio(y, sr, peak=ainfo.get("peak"), asr_model=asr_model)}
        except Exception as exc:  # noqa: BLE001 - boundary: FFmpeg on a user's audio track; keep the video analysis
            feats["audio"] = {"status": "error", "reason": f"{type(exc).__name__}: {exc}"[:200]}
    else:
        feats["audio"] = None
    return feats
