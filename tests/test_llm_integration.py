"""The real embedded default model, end to end (slow: run with ``-m integration``).

Uses ``$BRANDLOOP_HOME`` (or ``./.brandloop``) so the assembled GGUF and the dense
fast-start cache are reused across runs; the first run builds them (about a minute).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

pytestmark = pytest.mark.integration

PROMPTS = [
    "Write a one-line slogan for a coffee brand.",
    "Name one benefit of running shoes.",
    "Write a headline for a bakery sale.",
]


@pytest.fixture(scope="module")
def llm():
    from brandloop.llm import get_chat_model

    return get_chat_model("small")


def _messages(text):
    from langchain_core.messages import HumanMessage, SystemMessage

    return [SystemMessage("You write short ad copy."), HumanMessage(text)]


def _check_message(msg, max_new_tokens):
    assert msg.content.strip()
    assert "<|im_start|>" not in msg.content and "<|im_end|>" not in msg.content
    assert "<|endoftext|>" not in msg.content
    assert "You write short ad copy" not in msg.content  # no prompt echo
    usage = msg.usage_metadata
    assert 0 < usage["output_tokens"] <= max_new_tokens
    assert usage["input_tokens"] > 10
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert msg.response_metadata["model_name"] == "brandloop/small"


def test_model_info(llm):
    from brandloop.llm import model_info

    info = model_info(llm)
    assert info["spec"] == "small" and info["kind"] == "preset"
    assert info["resolved_path"].endswith("model.gguf")
    assert info["device"] in ("cpu", "cuda:0")
    assert info["cache_hit"] in (True, False)
    assert info["load_seconds"] > 0


def test_invoke_greedy_and_max_new_tokens(llm):
    first = llm.invoke(_messages(PROMPTS[0]), max_new_tokens=8)
    _check_message(first, 8)
    again = llm.invoke(_messages(PROMPTS[0]), max_new_tokens=8)
    assert again.content == first.content  # greedy by default
    short = llm.invoke(_messages(PROMPTS[0]), max_new_tokens=2)
    assert short.usage_metadata["output_tokens"] <= 2


def test_batch_is_one_generate(llm, monkeypatch):
    calls = []
    model = llm.hf_model
    original = model.generate

    def counting(*args, **kwargs):
        calls.append(tuple(kwargs["input_ids"].shape))
        return original(*args, **kwargs)

    monkeypatch.setattr(model, "generate", counting)
    out = llm.batch([_messages(p) for p in PROMPTS], max_new_tokens=8)
    assert len(out) == len(PROMPTS)
    assert len(calls) == 1 and calls[0][0] == len(PROMPTS)
    for msg in out:
        _check_message(msg, 8)
        assert msg.response_metadata["batch_size"] == len(PROMPTS)


def test_factory_returns_same_object(llm):
    from brandloop.llm import get_chat_model

    assert get_chat_model("small") is llm
    assert get_chat_model() is llm
