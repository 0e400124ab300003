"""Engines and constrained decoding without a real model: reply patterns, engine choice, converted-model caches."""
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from brandloop.agents.copywriter import uncut
from brandloop.agents.formats import ad_pattern, critique_pattern, rewrite_pattern
from brandloop.cli import cli
from brandloop.llm import ModelError, factory, ov_build
from brandloop.llm.assets import _write_marker, marker_is_valid
from brandloop.llm.integrity import check_folder, fingerprint_folder
from brandloop.llm.loader import ResolvedSpec
from brandloop.knowledge.channels import get_channel, with_assets
from tests.fakes import COPY, CRITIC as CRITIC_TEMPLATE, ConstrainedScriptedChatModel
from tests.test_graph import GOOD, run

RSA = with_assets(get_channel("google_rsa"), {"headline": 3, "description": 2})  # as the scripted ads
CRITIC = "SCORE: 8\nCRITIQUE: Clear about the 4.10% APY and on brief.\nFIX: Name the audience in a headline."


def test_ad_pattern_holds_lines_counts_and_limits():
    p = ad_pattern(RSA, "Northwind Bank savings")
    assert re.fullmatch(p, GOOD)
    assert re.fullmatch(p, GOOD + "\n")
    assert not re.fullmatch(p, GOOD.replace("Earn 4.10% APY", "Earn 4.10% APY On Every Single Dollar"))  # 36 > 30
    assert not re.fullmatch(p, GOOD.replace("HEADLINE 3: Open Online Today\n", ""))  # a missing item
    assert not re.fullmatch(p, GOOD.replace("HEADLINE 1: ", "HEADLINE 1:  "))  # no leading space
    assert not re.fullmatch(p, GOOD.replace("Save More", "收益率"))  # an English brief gets Latin copy
    assert not re.fullmatch(p, GOOD.replace("Save More Every Day", "<at most 30 characters>"))  # no placeholder


def test_ad_pattern_repeats_one_line_per_field_with_the_count_exact():
    full = get_channel("google_rsa")
    p = ad_pattern(full, "Northwind Bank savings", {"headline": 13, "description": 5})
    heads = [f"HEADLINE {n}: Save More Every Day {n}" for n in range(1, 14)]
    descs = [f"DESCRIPTION {n}: Open an account in minutes, {n}." for n in range(1, 6)]
    assert re.fullmatch(p, "\n".join(heads + descs)) and re.fullmatch(p, "\n".join(heads + descs) + "\n")
    assert not re.fullmatch(p, "\n".join(heads[:12] + descs))  # one headline short
    assert not re.fullmatch(p, "\n".join(heads + descs[:4]))
    assert not re.fullmatch(p, "\n".join(heads + descs).replace("HEADLINE 13", "HEADLINE 14"))
    assert p.count("HEADLINE") == 1 and p.count("DESCRIPTION") == 2  # the last line twice: its break is optional


def test_rewrite_pattern_keeps_channel_characters_and_counts_wide_characters_double():
    tiktok = rewrite_pattern(get_channel("tiktok"), "ad_text", "Verdant snacks")
    assert re.fullmatch(tiktok, "Crunchy snacks for busy kids")
    assert not re.fullmatch(tiktok, "Crunchy snacks #snacktime")
    wide = rewrite_pattern(RSA, "headline", "北風銀行の普通預金")
    assert re.fullmatch(wide, "毎日の貯蓄をもっと簡単に")  # 12 wide characters count 24 of 30
    assert not re.fullmatch(wide, "毎日の貯蓄をもっと簡単に始めよう今")  # 16 count 32
    assert not re.fullmatch(wide, "<最大30文字>")


def test_critique_pattern_is_one_sentence_each():
    p = critique_pattern("Northwind Bank")
    assert re.fullmatch(p, CRITIC)
    assert not re.fullmatch(p, CRITIC.replace("on brief.", "on brief. Also more."))
    assert not re.fullmatch(p, "CRITIQUE: Fine.\nFIX: None.")


def test_a_line_cut_at_its_cap_loses_the_cut_word():
    assert uncut(RSA, "headline", "4.10% APY, no monthly fees, FD", "x") == "4.10% APY, no monthly fees"
    assert uncut(RSA, "headline", "Earn 4.10% APY", "x") == "Earn 4.10% APY"
    # never "Savings Plan for Young": the cut prepositional phrase goes whole
    assert uncut(RSA, "headline", "Savings Plan for Young Saver W", "x") == "Savings Plan"
    # whole phrases before a cut prepositional phrase (these came back empty), but not a participle left waiting
    assert uncut(RSA, "headline", "No monthly maintenance fee for", "x") == "No monthly maintenance fee"
    assert uncut(RSA, "headline", "Sold in 6-pack 12 oz cans at a", "x") == "Sold in 6-pack 12 oz cans"
    assert uncut(RSA, "headline", "Zero Deposit, Start with $0 to", "x") == "Zero Deposit, Start with $0"
    assert uncut(RSA, "headline", "A hazy 5.2% pale ale brewed on", "x") == ""
    assert uncut(RSA, "headline", "Open Your Savings Account Now.", "x") == "Open Your Savings Account Now."
    meta = get_channel("meta_feed")  # description: 25 characters; "Nibs" did not fit, a letter of it did
    assert uncut(meta, "description", "Roasted Malt, Cocoa N", "x") == "Roasted Malt"
    assert uncut(meta, "description", "Roasted Malt and Cocoa N", "x") == ""
    assert uncut(meta, "description", "Get Vitamin C", "x") == "Get Vitamin C"  # far from the limit: a name


def test_an_end_mark_the_engine_put_at_the_cap_after_an_unfinished_phrase_is_a_cut():
    # delivered on the Northwind search brief: the noun ('home') did not fit, so the line was closed with '?'
    assert uncut(RSA, "headline", "Do you want to save for a new?", "x") == ""
    assert uncut(RSA, "headline", "No fee, portioned for you and!", "x") == "No fee"
    assert uncut(RSA, "headline", "Weeknight meal, portioned for.", "x") == "Weeknight meal"
    # whole lines at the cap stay, and short ones are not judged ('for!' can be English)
    assert uncut(RSA, "headline", "Start your day with a savings!", "x") == "Start your day with a savings!"
    assert uncut(RSA, "headline", "Learn how to save effectively!", "x") == "Learn how to save effectively!"
    assert uncut(RSA, "headline", "What is it for?", "x") == "What is it for?"
    assert uncut(RSA, "headline", "Save for a new home?", "x") == "Save for a new home?"
    assert uncut(RSA, "headline", "Free savings with no monthly.", "x") == ""
    # no end mark: the next word did not fit
    assert uncut(RSA, "headline", "Brewed here, offer a warm", "x") == "Brewed here"
    assert uncut(RSA, "headline", "From the harbor, offer a warm", "x") == ""  # no whole phrase is left
    assert uncut(RSA, "headline", "Every ride, make it your own", "x") == "Every ride, make it your own"
    # cut inside the next phrase: the phrase before the comma lacks its noun too (both were delivered)
    assert uncut(RSA, "headline", "Unlock your savings in a new,l", "x") == "Unlock your savings"
    assert uncut(RSA, "headline", "Harbor Pale Ale, a unique, haz", "x") == "Harbor Pale Ale"


def test_an_unfinished_last_sentence_near_the_cap_of_a_long_field_is_dropped():
    # delivered in a Cobalt intro: the sentence stopped on a whole word when the next one did not fit
    cut = "Month-end close in days, not weeks. SOC 2 Type II certified, and has a month-end"
    assert uncut(RSA, "description", cut, "x") == "Month-end close in days, not weeks."
    # a closing call to action, a finished line and a line far from the cap stay; headlines are not judged so
    cta = "Earn 4.10% APY on every balance with no monthly fee. Member FDIC. Open online today"
    assert uncut(RSA, "description", cta, "x") == cta
    assert uncut(RSA, "description", cut + ".", "x") == cut + "."
    short = "Close in days. SOC 2 Type II certified, and has a month-end"
    assert uncut(RSA, "description", short, "x") == short
    assert uncut(RSA, "headline", "Save more. Open yours online", "x") == "Save more. Open yours online"


def test_a_line_that_stops_inside_a_word_near_its_cap_loses_that_word():
    # no word, but the start of one: English ('calories') or the brief's own ('Northwind', 'Pacific Coast')
    assert uncut(RSA, "headline", "Fresh and Refined, High Calor", "x") == "Fresh and Refined"
    assert uncut(RSA, "headline", "Save More, Bank with Northw.", "Northwind Bank") == "Save More"
    assert uncut(RSA, "headline", "Gold Medal, the Pacific Co", "x", ["Pacific Coast Beer Awards"]) == "Gold Medal"
    # though the brand's own name has the word 'Co.' in it
    assert uncut(RSA, "headline", "Gold Medal, the Pacific Co", "Harbor Brewing Co.", ["Pacific Coast"]) == \
        "Gold Medal"
    assert uncut(RSA, "headline", "Pale ale by Harbor Brewing Co", "Harbor Brewing Co.") == \
        "Pale ale by Harbor Brewing Co"
    # a product's name short of its rest; a company suffix may be left off
    assert uncut(RSA, "headline", "Open a Northwind Everyday", "Northwind Everyday Savings") == ""
    assert uncut(RSA, "headline", "Pale ale from Harbor Brewing", "Harbor Brewing Co.") == \
        "Pale ale from Harbor Brewing"
    # whole words stay, also newer ones and the brand's own
    assert uncut(RSA, "headline", "Order snacks today in the app", "x") == "Order snacks today in the app"
    assert uncut(RSA, "headline", "Crunchy chickpeas by Verdant", "Verdant") == "Crunchy chickpeas by Verdant"
    assert uncut(RSA, "headline", "Gold Medal, the Pacific Coast", "x", ["Pacific Coast"]) == \
        "Gold Medal, the Pacific Coast"


CANDIDATES = ("HEADLINE 1: Save More Every Day\nHEADLINE 2: Earn 4.10% APY\nHEADLINE 3: Open Online Today\n"
              "HEADLINE 4: Savings That Grow Daily\n"
              "DESCRIPTION 1: Open an Everyday Savings account in minutes.\nDESCRIPTION 2: Earn 4.10% APY on savings.\n"
              "DESCRIPTION 3: Your savings earn 4.10% APY with Northwind.")


def test_agents_constrain_every_reply_when_the_engine_can(brief_file):
    llm = ConstrainedScriptedChatModel(rules=[(COPY, CANDIDATES), (CRITIC_TEMPLATE, CRITIC)],
                                       calls=[], patterns=[])
    out, state = run(brief_file, llm, max_revisions=1)
    ad = ad_pattern(RSA, "Northwind Bank Everyday Savings A savings account. Earn more. sign-ups",
                    {"headline": 4, "description": 3})
    assert llm.patterns.count(ad) == 3  # each whole-ad draft asks for 4 headlines and 3 descriptions to choose from
    assert sum(p.startswith("SCORE: ") for p in llm.patterns) == 3


def _resolved(tmp_path, kind="preset", location=None):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(os.urandom(4096))
    return ResolvedSpec(spec="small", kind=kind, location=location or str(gguf), cache_dir=tmp_path / "hf-float32",
                        source_key="0" * 64)


def test_engine_choice(tmp_path, monkeypatch):
    monkeypatch.setattr(factory, "_gpu_present", lambda: False)
    monkeypatch.setattr(ov_build, "openvino_available", lambda: True)
    preset = _resolved(tmp_path)
    hub = ResolvedSpec(spec="Qwen/Qwen2.5-0.5B-Instruct", kind="hub", location="Qwen/Qwen2.5-0.5B-Instruct")
    assert factory.choose_engine(preset, "auto") == "openvino"
    assert factory.choose_engine(hub, "auto") == "transformers"
    assert factory.choose_engine(preset, "transformers") == "transformers"
    with pytest.raises(ModelError, match="unknown engine 'vllm'; choose one of: auto, openvino, transformers"):
        factory.choose_engine(preset, "vllm")
    with pytest.raises(ModelError, match="use --engine transformers"):
        factory.choose_engine(hub, "openvino")
    monkeypatch.setattr(factory, "_gpu_present", lambda: True)
    assert factory.choose_engine(preset, "auto") == "transformers"  # a GPU runs transformers


def test_auto_falls_back_to_transformers_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(factory, "resolve_spec", lambda spec, home: _resolved(tmp_path))
    monkeypatch.setattr(factory, "choose_engine", lambda resolved, engine: "openvino")

    def broken(*a):
        raise ModelError("could not convert model.gguf for the OpenVINO engine (RuntimeError: boom)")

    monkeypatch.setattr(factory, "_openvino_chat", broken)
    monkeypatch.setattr(factory, "_transformers_chat", lambda *a: "transformers model")
    factory.clear_model_cache()
    try:
        assert factory.get_chat_model("small", engine="auto", home=tmp_path) == "transformers model"
        assert "using the transformers engine" in caplog.text
        with pytest.raises(ModelError, match="RuntimeError: boom"):
            factory.get_chat_model("small", engine="openvino", home=tmp_path, max_new_tokens=7)
    finally:
        factory.clear_model_cache()


def test_a_failed_conversion_leaves_nothing_behind(tmp_path, monkeypatch):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + os.urandom(1000))
    from brandloop.llm import requant
    from brandloop.llm.integrity import full_hash

    def half_written(src, dst):
        Path(dst).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(requant, "requantize_to_q8", half_written)
    with pytest.raises(ModelError) as err:
        ov_build.ensure_openvino_model(gguf, full_hash(gguf), tmp_path / "models")
    assert "No space left on device" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").iterdir())
    with pytest.raises(ModelError, match="its sha256 is"):  # a source that isn't what it claims is refused
        ov_build.build_openvino_model(gguf, "f" * 64, tmp_path / "models" / "x")


def _fake_openvino_folder(base: Path, source: str) -> Path:
    folder = ov_build.openvino_dir(base, source)
    folder.mkdir(parents=True)
    for name in ov_build.IR_FILES:
        (folder / name).write_bytes(os.urandom(3 << 20))
    (folder / ov_build.MARKER).write_text(json.dumps({"format": ov_build.FORMAT, "source_sha256": source,
                                                      "files": fingerprint_folder(folder, list(ov_build.IR_FILES))}))
    return folder


def test_a_corrupt_converted_model_is_rebuilt(tmp_path, monkeypatch):
    source = "a" * 64
    folder = _fake_openvino_folder(tmp_path, source)
    gguf = tmp_path / "model.gguf"
    assert ov_build.ensure_openvino_model(gguf, source, tmp_path) == (folder, False)
    with open(folder / "openvino_model.bin", "r+b") as f:  # one flipped byte in the quick-checked head
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    built = []
    monkeypatch.setattr(ov_build, "build_openvino_model", lambda *a: built.append(a))
    assert ov_build.ensure_openvino_model(gguf, source, tmp_path) == (folder, True)
    assert built == [(gguf, source, folder)]


def test_quick_check_samples_and_full_check_hashes_everything(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "w.bin").write_bytes(bytes(8 << 20))
    recorded = fingerprint_folder(folder)
    with open(folder / "w.bin", "r+b") as f:  # a byte between the quick check's samples
        f.seek((1 << 20) + 12345)
        f.write(b"\x01")
    assert check_folder(folder, recorded) == []
    assert check_folder(folder, recorded, full=True) == [f"{folder / 'w.bin'} does not match its recorded sha256"]


def test_an_assembled_gguf_changed_under_a_kept_timestamp_is_not_trusted(tmp_path):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(os.urandom(1 << 20))
    _write_marker(gguf, "b" * 64)
    assert marker_is_valid(gguf, "b" * 64)
    st = gguf.stat()
    data = bytearray(gguf.read_bytes())
    data[10] ^= 0xFF
    gguf.write_bytes(bytes(data))
    os.utime(gguf, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert not marker_is_valid(gguf, "b" * 64)


def test_models_and_doctor_commands(home):
    source = "c" * 64
    folder = _fake_openvino_folder(home / "models" / "small", source)
    r = CliRunner().invoke(cli, ["--home", str(home), "models", "--json"])
    assert r.exit_code == 0, r.output
    inv = json.loads(r.output)
    assert [p["preset"] for p in inv["presets"]] == ["small", "large"]
    assert {e["engine"] for e in inv["engines"]} == {"openvino", "transformers"}
    assert inv["caches"] == [{"engine": "openvino", "path": str(folder), "ok": True, "problem": None}]
    r = CliRunner().invoke(cli, ["--home", str(home), "doctor"])
    assert r.exit_code == 0 and "ok   openvino cache" in r.output
    with open(folder / "openvino_tokenizer.bin", "r+b") as f:
        f.seek((1 << 20) + 777)
        f.write(b"\x00\x01")
    r = CliRunner().invoke(cli, ["--home", str(home), "doctor"])
    assert r.exit_code == 1 and "BAD  openvino cache" in r.output and "removed; the next run rebuilds it" in r.output
    assert not folder.exists()


def test_unknown_engine_is_a_usage_error(home, brief_file):
    r = CliRunner().invoke(cli, ["--home", str(home), "run", str(brief_file), "--engine", "vllm"])
    assert r.exit_code == 2 and "'vllm' is not one of 'auto', 'openvino', 'transformers'" in r.output


def test_every_supported_rule_type_has_a_prompt_line():
    from brandloop.agents.retriever import rule_line
    from brandloop.knowledge.rules.model import SUPPORTED_TYPES, Rule

    for kind in SUPPORTED_TYPES:
        line = rule_line(Rule(id=f"x.{kind}", type=kind, message="Keep it plain.", params={}))
        assert line.strip(), kind


def test_frequency_penalty_counts_the_reply_not_the_prompt():
    import torch

    from brandloop.llm.constraints import FrequencyPenalty

    ids = torch.tensor([[5, 5, 1, 2, 2], [5, 3, 4, 4, 4]])  # 2 prompt tokens, then the reply so far
    scores = torch.zeros(2, 6)
    out = FrequencyPenalty(0.5, prompt_len=2)(ids, scores.clone())
    assert out[0].tolist() == [0.0, -0.5, -1.0, 0.0, 0.0, 0.0]  # token 5 is only in the prompt: free
    assert out[1].tolist() == [0.0, 0.0, 0.0, 0.0, -1.5, 0.0]


def test_whole_ad_drafts_carry_the_frequency_penalty_and_single_lines_do_not(brief_file):
    llm = ConstrainedScriptedChatModel(rules=[(COPY, CANDIDATES), (CRITIC_TEMPLATE, CRITIC)], calls=[], patterns=[])
    run(brief_file, llm, max_revisions=0)
    drafts = [c["kwargs"] for c in llm.calls if c["template"] == COPY]
    assert drafts and all(k.get("frequency_penalty") == 0.5 for k in drafts)
    assert not [c for c in llm.calls if c["template"] != COPY and c["kwargs"].get("frequency_penalty")]
