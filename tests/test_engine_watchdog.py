"""A stuck engine call is given up after its deadline and run once more on a fresh pipeline (OpenVINO GenAI's
sampler was seen waiting forever, every thread idle, in a clean-clone test run)."""
import threading

import pytest

from brandloop.errors import ModelError
from brandloop.llm.loader import ModelInfo
from brandloop.llm.ov_chat import EngineStuck, OpenVINOChatModel, within


class Pipe:
    def __init__(self, stuck: bool):
        self.stuck, self.calls, self.release = stuck, 0, threading.Event()

    def generate(self, ids, configs):
        self.calls += 1
        if self.stuck:
            self.release.wait()  # as the native call did: never returns by itself
        return [f"out:{i}" for i in ids]

    def get_tokenizer(self):
        return None


INFO = ModelInfo(spec="small", kind="preset", resolved_path="x", device="cpu", dtype="int8", load_seconds=0.0,
                 cache_hit=True, cache_dir="/nowhere", threads=2)


def _model(pipe):
    return OpenVINOChatModel.from_pipeline(pipe, model_id="m", info=INFO, hang_seconds=0.2)


def test_within_returns_raises_or_gives_up():
    assert within(5, lambda x: x + 1, 1) == 2
    with pytest.raises(ValueError):
        within(5, int, "x")
    gate = threading.Event()
    with pytest.raises(EngineStuck):
        within(0.1, gate.wait)
    gate.set()


def test_a_stuck_batch_runs_again_on_a_fresh_pipeline(monkeypatch, caplog):
    stuck, fresh = Pipe(stuck=True), Pipe(stuck=False)
    model = _model(stuck)
    monkeypatch.setattr(OpenVINOChatModel, "_fresh_pipeline", lambda self: fresh)
    assert model._run_engine(["a", "b"], [None, None]) == ["out:a", "out:b"]
    assert (stuck.calls, fresh.calls) == (1, 1) and model._pipe is fresh
    assert "loading it afresh" in caplog.text
    stuck.release.set()


def test_stuck_twice_is_a_clear_model_error(monkeypatch):
    first, second = Pipe(stuck=True), Pipe(stuck=True)
    model = _model(first)
    monkeypatch.setattr(OpenVINOChatModel, "_fresh_pipeline", lambda self: second)
    with pytest.raises(ModelError, match="the OpenVINO engine is stuck"):
        model._run_engine(["a"], [None])
    first.release.set()
    second.release.set()
