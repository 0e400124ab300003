"""The model-server backend: `brandloop model-server`'s HTTP app on loopback (uvicorn, real sockets), driven
through the real clients (`openai:` = langchain-openai, `hf-endpoint:` = langchain-huggingface), with scripted
fake models behind the server."""
import json
import threading
import time

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from langchain_core.messages import HumanMessage

from brandloop.agents.llm_calls import batch_with_retry
from brandloop.agents.tracing import NodeTrace
from brandloop.cli import cli
from brandloop.llm import ModelError, get_chat_model, model_info
from brandloop.llm.remote import ModelSpecError, parse_spec
from brandloop.model_server import create_model_app
from tests.fakes import ServedConstrainedChatModel, ServedScriptedChatModel, served_run_model
from tests.servers import free_port
from tests.test_graph import GOOD


class ServedModel:
    """`create_model_app(llm)` under uvicorn in a thread on a free loopback port."""

    def __init__(self, llm, window_s=0.02):
        self.app = create_model_app(llm, "small", window_s=window_s)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        for _ in range(400):
            if self.server.started:
                return self
            time.sleep(0.025)
        raise RuntimeError("the test model server did not start")

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(autouse=True)
def fresh_models():
    from brandloop.llm import clear_model_cache

    clear_model_cache()
    yield
    clear_model_cache()


def test_openai_spec_generates_through_the_server_with_usage_and_info():
    fake = ServedScriptedChatModel(rules=[("hello", "Hi there")], calls=[])
    with ServedModel(fake) as s:
        llm = get_chat_model(f"openai:{s.url}#small", max_new_tokens=32)
        replies = llm.batch([[HumanMessage("hello one")], [HumanMessage("hello two")]], max_new_tokens=16)
        assert [r.content for r in replies] == ["Hi there", "Hi there"]
        assert replies[0].response_metadata["finish_reason"] == "stop"
        assert sorted(c["prompt"] for c in fake.calls) == ["hello one", "hello two"]
        assert all(c["kwargs"].get("max_new_tokens") == 16 for c in fake.calls)
    info = model_info(llm)
    assert info["engine"] == "remote" and info["resolved_path"] == s.url and info["extra"]["model"] == "small"
    assert not llm.supports_regex  # guided=none by default: the agents parse and retry


def test_frequency_penalty_reaches_the_engine_behind_the_server():
    fake = ServedScriptedChatModel(rules=[("hello", "Hi there")], calls=[])
    with ServedModel(fake) as s:
        llm = get_chat_model(f"openai:{s.url}#small")
        assert llm._request_kwargs({"frequency_penalty": 1.0}, None)["frequency_penalty"] == 1.0
        llm.batch([[HumanMessage("hello")]], max_new_tokens=8, temperature=0.7, seed=1, frequency_penalty=1.0)
        llm.batch([[HumanMessage("hello")]], max_new_tokens=8)
    assert [c["kwargs"].get("frequency_penalty") for c in fake.calls] == [1.0, None]


@pytest.mark.parametrize("guided", ["vllm", "vllm-legacy"])
def test_guided_vllm_sends_each_prompts_regex_and_concurrent_requests_share_a_batch(guided):
    fake = ServedConstrainedChatModel(rules=[("code", "AB-12")], calls=[], patterns=[])
    with ServedModel(fake, window_s=1.5) as s:
        llm = get_chat_model(f"openai:{s.url}#small?guided={guided}")
        assert llm.supports_regex
        field = {"vllm": {"structured_outputs": {"regex": "x+"}}, "vllm-legacy": {"guided_regex": "x+"}}[guided]
        assert llm._request_kwargs({"regex": "x+"}, None)["extra_body"] == field
        patterns = [r"[A-Z]{2}-\d{2}", r"AB-\d+", r"\w+-12", r"A.-1\d"]
        replies = llm.batch([[HumanMessage(f"code {i}")] for i in range(4)], max_new_tokens=8, regex=patterns)
        assert [r.content for r in replies] == ["AB-12"] * 4
        assert sorted(fake.patterns) == sorted(patterns)  # the fake fails any reply that misses its pattern
        stats = s.app.state.model.stats
        assert stats["caller_calls"] == 4 and stats["model_calls"] < 4  # gathered into shared engine calls


def test_guided_none_falls_back_to_parse_and_retry():
    fake = ServedConstrainedChatModel(rules=[("count", ["many", "7"])], calls=[], patterns=[])
    with ServedModel(fake) as s:
        llm = get_chat_model(f"openai:{s.url}#small")
        trace = NodeTrace("critic")

        def parse(text):
            return (int(text), []) if text.strip().isdigit() else (None, [f"'{text}' is not a number"])

        [(parsed, problems)] = batch_with_retry(llm, ["v1"], [[HumanMessage("count them")]], parse, trace,
                                                max_new_tokens=8, patterns=[r"\d+"])
    assert (parsed, problems) == (7, [])
    assert fake.patterns == []  # no regex reached the server
    assert len(fake.calls) == 2 and "cannot be used" in fake.calls[1]["prompt"]


def test_whole_run_through_the_openai_backend(home, brief_file):
    fake = served_run_model(GOOD)
    with ServedModel(fake) as s:
        r = CliRunner().invoke(cli, ["run", str(brief_file), "--json", "-q", "-k", "0", "--model",
                                     f"openai:{s.url}#small"], obj={"home": home})
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert result["variants"] and all(v["critique"] for v in result["variants"])
    assert fake.prompts_with("Angle for this version") and fake.prompts_with("Review this")


def test_hf_endpoint_spec_talks_to_the_same_server(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # set at import when the embedder loaded first
    fake = ServedScriptedChatModel(rules=[("hello", "Hi from the endpoint")], calls=[])
    with ServedModel(fake) as s:
        llm = get_chat_model(f"hf-endpoint:http://127.0.0.1:{s.port}")
        replies = llm.batch([[HumanMessage("hello")]] * 2, max_new_tokens=12)
    assert [r.content for r in replies] == ["Hi from the endpoint"] * 2
    assert fake.calls[0]["kwargs"].get("max_new_tokens") == 12


def test_hf_endpoint_in_offline_mode_says_what_to_unset(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE is set"):
        get_chat_model("hf-endpoint:http://127.0.0.1:8080")


def test_a_slow_server_times_out_after_retries_with_one_line():
    def slow(prompt):
        time.sleep(2.0)
        return "late"

    fake = ServedScriptedChatModel(rules=[("hello", slow)], calls=[])
    with ServedModel(fake) as s:
        llm = get_chat_model(f"openai:{s.url}#small?timeout=0.3&retries=1")
        llm.backoff_s = 0.05
        with pytest.raises(ModelError, match=r"did not answer within 0.3 s \(after 1 retry\); raise the limit"):
            llm.invoke([HumanMessage("hello")])
    assert len(fake.calls) >= 1


def test_a_failing_server_is_retried_with_backoff():
    state = {"n": 0}

    def flaky(prompt):
        state["n"] += 1
        if state["n"] == 1:
            raise RuntimeError("engine hiccup")
        return "recovered"

    fake = ServedScriptedChatModel(rules=[("hello", flaky)], calls=[])
    with ServedModel(fake) as s:
        llm = get_chat_model(f"openai:{s.url}#small?retries=2")
        llm.backoff_s = 0.05
        assert llm.invoke([HumanMessage("hello")]).content == "recovered"
    assert state["n"] == 2


def test_server_down_is_one_clear_line_in_the_cli(home, brief_file):
    url = f"http://127.0.0.1:{free_port()}/v1"
    r = CliRunner().invoke(cli, ["run", str(brief_file), "-q", "--model", f"openai:{url}#small?retries=1"],
                           obj={"home": home})
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert lines == [f"model error: cannot reach the model server at {url} (after 1 retry); start it "
                     "(e.g. 'brandloop model-server --port PORT') or fix the URL in --model"]


def test_wrong_model_name_names_the_served_ones():
    with ServedModel(ServedScriptedChatModel(calls=[])) as s:
        with pytest.raises(ModelError, match=rf"serves small, not 'big'; use --model openai:{s.url}#small"):
            get_chat_model(f"openai:{s.url}#big")


@pytest.mark.parametrize("spec, words", [
    ("openai:127.0.0.1:8008/v1#small", "must start with http://"),
    ("openai:http://127.0.0.1:8008/v1", "no model name after '#'"),
    ("openai:http://127.0.0.1:8008/v1#small?guided=xgrammar", "guided='xgrammar'; use guided=vllm"),
    ("openai:http://127.0.0.1:8008/v1#small?timeout=soon", "timeout must be seconds > 0"),
    ("hf-endpoint:http://127.0.0.1:8080?colour=red", "unknown option(s) colour"),
])
def test_bad_specs_are_one_line_input_errors(home, brief_file, spec, words):
    with pytest.raises(ModelSpecError, match=None) as caught:
        parse_spec(spec)
    assert words in str(caught.value)
    r = CliRunner().invoke(cli, ["run", str(brief_file), "-q", "--model", spec], obj={"home": home})
    assert r.exit_code == 2 and r.output.strip().splitlines() == [f"error: {caught.value}"]


def test_protocol_errors_are_openai_style_json():
    fake = ServedScriptedChatModel(rules=[("hello", "Hi")], calls=[])  # no guided decoding
    with ServedModel(fake) as s:
        post = lambda body: httpx.post(f"{s.url}/chat/completions", json=body)  # noqa: E731
        hello = [{"role": "user", "content": "hello"}]
        ok = post({"model": "small", "messages": hello, "max_completion_tokens": 5, "stop": "\n"})
        assert ok.status_code == 200
        body = ok.json()
        assert body["object"] == "chat.completion" and body["choices"][0]["message"]["content"] == "Hi"
        assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
        cases = [({"messages": hello, "stream": True}, "stream"), ({"messages": hello, "n": 2}, "n"),
                 ({"messages": []}, "messages"), ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
                 ({"messages": hello, "max_tokens": 0}, "max_tokens"),
                 ({"messages": hello, "guided_regex": "x+"}, "structured_outputs"),
                 ({"messages": hello, "structured_outputs": {"json": {}}}, "structured_outputs")]
        for body, param in cases:
            r = post(body)
            assert r.status_code == 400 and r.json()["error"]["param"] == param, (body, r.text)
            assert r.json()["error"]["type"] == "invalid_request_error"
        assert httpx.post(f"{s.url}/chat/completions", content=b"{not json").status_code == 400
        missing = httpx.get(f"{s.url}/nothing")
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"
        assert httpx.get(f"{s.url}/models").json()["data"][0]["id"] == "small"


def test_model_server_refuses_a_network_interface_without_the_flag(home):
    r = CliRunner().invoke(cli, ["model-server", "--host", "0.0.0.0"], obj={"home": home})
    assert r.exit_code == 2 and "--allow-network" in r.output
