"""Chat models on a model server: any OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp, Ollama,
``brandloop model-server``) or a Hugging Face endpoint.

Specs::

    openai:URL#MODEL[?guided=none|vllm|vllm-legacy&timeout=S&retries=N&concurrency=N]   e.g. openai:http://127.0.0.1:8008/v1#small
    hf-endpoint:URL[?guided=...&timeout=S&retries=N&concurrency=N]                  e.g. hf-endpoint:http://127.0.0.1:8080

``batch`` takes the local engines' arguments (``max_new_tokens``, ``stop``, ``temperature``, ``seed``, ``regex``
one pattern or one per prompt) and sends the prompts concurrently. ``guided=vllm`` sends each pattern as the
server's guided decoding (``structured_outputs: {regex}``; ``guided=vllm-legacy``: the older ``guided_regex``); with
``guided=none`` (the default) the agents' parse-and-retry path alone holds replies to their shape.
Connection errors, timeouts, 429 and 5xx answers are retried with exponential backoff; then one
``ModelError`` line names the server and the fix.
"""
from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from brandloop.errors import ModelError, ModelSpecError
from .batching import generation_kwargs
from .chat import per_prompt
from .loader import ModelInfo

logger = logging.getLogger("brandloop.llm")

SCHEMES = ("openai:", "hf-endpoint:")
GUIDED = ("none", "vllm", "vllm-legacy")
"""How ``regex=`` reaches the server: not at all (parse and retry), vLLM's ``structured_outputs: {regex}`` (current
vLLM; the only form since v0.12), or the older ``guided_regex`` (vLLM before v0.12)."""
OPTIONS = {"guided", "timeout", "retries", "concurrency"}
OFFLINE = ("hf-endpoint: models need huggingface_hub online, but HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE is set "
           "(it blocks every huggingface_hub request, the endpoint's too); unset it, or use --model openai:URL#MODEL")
RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


def is_remote(spec: str) -> bool:
    return isinstance(spec, str) and spec.startswith(SCHEMES)


def parse_spec(spec: str) -> dict[str, Any]:
    """``{"kind", "url", "model", "guided", "timeout", "retries", "concurrency"}`` from a remote spec."""
    kind, _, rest = spec.partition(":")
    rest, _, query = rest.partition("?")
    url, _, model = rest.partition("#") if kind == "openai" else (rest, "", "")
    fix = ("use openai:URL#MODEL, e.g. openai:http://127.0.0.1:8008/v1#small" if kind == "openai"
           else "use hf-endpoint:URL, e.g. hf-endpoint:http://127.0.0.1:8080")
    if not url.startswith(("http://", "https://")):
        raise ModelSpecError(f"--model {spec}: the server URL must start with http:// or https://; {fix}")
    if kind == "openai" and not model.strip():
        raise ModelSpecError(f"--model {spec}: no model name after '#'; {fix} (the server's GET /v1/models lists them)")
    opts = dict(parse_qsl(query, keep_blank_values=True))
    unknown = set(opts) - OPTIONS
    if unknown:
        raise ModelSpecError(f"--model {spec}: unknown option(s) {', '.join(sorted(unknown))}; "
                         f"use {', '.join(sorted(OPTIONS))}")
    guided = opts.get("guided", "none")
    if guided not in GUIDED:
        raise ModelSpecError(f"--model {spec}: guided={guided!r}; use guided=vllm (structured_outputs), "
                         "guided=vllm-legacy (guided_regex, vLLM before 0.12) or guided=none (parse and retry)")
    try:
        timeout = float(opts.get("timeout", 300))
        retries = int(opts.get("retries", 3))
        concurrency = int(opts.get("concurrency", 16))
        if timeout <= 0 or retries < 0 or concurrency < 1:
            raise ValueError
    except ValueError:
        raise ModelSpecError(f"--model {spec}: timeout must be seconds > 0, retries a whole number >= 0 and "
                         "concurrency >= 1, e.g. ?timeout=120&retries=3") from None
    return {"kind": kind, "url": url.rstrip("/"), "model": model.strip(), "guided": guided, "timeout": timeout,
            "retries": retries, "concurrency": concurrency}


def _status(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    if code is None:
        response = getattr(exc, "response", None)
        code = getattr(response, "status_code", None)
    return int(code) if isinstance(code, int) else None


def _is_timeout(exc: BaseException) -> bool:
    return "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower()


def _is_connection(exc: BaseException) -> bool:
    name = type(exc).__name__
    return "Connect" in name or "Connection" in name or isinstance(exc, ConnectionError)


def _detail(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        msg = (body.get("error") or {}).get("message") if isinstance(body.get("error"), dict) else body.get("message")
        if msg:
            return str(msg)
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1][:300] if lines else type(exc).__name__


class RemoteChatModel(BaseChatModel):
    """A chat model whose generations run on a model server; ``client`` is langchain-openai's ``ChatOpenAI``
    or langchain-huggingface's ``ChatHuggingFace`` on a ``HuggingFaceEndpoint``."""

    spec: str
    url: str
    model_name: str
    kind: str = "openai"
    guided: str = "none"
    timeout: float = 300.0
    retries: int = 3
    concurrency: int = 16
    max_new_tokens: int = 256
    temperature: float | None = None
    info: ModelInfo | None = None
    client: Any = None
    backoff_s: float = 0.5

    @property
    def supports_regex(self) -> bool:
        """Whether ``regex=`` reaches the server's guided decoding (else the agents parse and retry)."""
        return self.guided != "none"

    @property
    def _llm_type(self) -> str:
        return f"brandloop-remote-{self.kind}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"url": self.url, "model": self.model_name, "guided": self.guided}

    def _request_kwargs(self, kwargs: dict[str, Any], stop: list[str] | None) -> dict[str, Any]:
        kwargs = generation_kwargs(kwargs)
        out: dict[str, Any] = {}
        max_new = kwargs.get("max_new_tokens") or kwargs.get("max_tokens") or self.max_new_tokens
        out["max_tokens"] = int(max_new)
        temperature = kwargs.get("temperature", self.temperature)
        out["temperature"] = float(temperature or 0.0)
        if temperature and kwargs.get("seed") is not None:
            out["seed"] = int(kwargs["seed"])
        if temperature and kwargs.get("top_p") is not None:
            out["top_p"] = float(kwargs["top_p"])
        if kwargs.get("frequency_penalty"):
            out["frequency_penalty"] = float(kwargs["frequency_penalty"])
        if stop:
            out["stop"] = [stop] if isinstance(stop, str) else list(stop)
        extra: dict[str, Any] = {}
        if self.guided != "none":
            for k in ("top_k", "repetition_penalty"):
                if kwargs.get(k) is not None:
                    extra[k] = kwargs[k]
        if kwargs.get("regex") and self.guided == "vllm":
            extra["structured_outputs"] = {"regex": kwargs["regex"]}
        elif kwargs.get("regex") and self.guided == "vllm-legacy":
            extra["guided_regex"] = kwargs["regex"]
        if extra:
            out["extra_body"] = extra
        return out

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        request = self._request_kwargs(kwargs, stop)
        message = self._with_retries(lambda: self.client.invoke(messages, **request))
        meta = {**(message.response_metadata or {}), "model_provider": self.kind, "engine": "remote",
                "server": self.url}
        message.response_metadata = meta
        finish = meta.get("finish_reason") or "stop"
        return ChatResult(generations=[ChatGeneration(message=message, generation_info={"finish_reason": finish})],
                          llm_output={"model_name": self.model_name})

    def batch(self, inputs: list, config: Any = None, *, return_exceptions: bool = False, **kwargs: Any) -> list:
        """Every prompt as its own request, ``concurrency`` at a time; ``regex`` may hold one pattern per prompt,
        and ``seed`` goes up by one per prompt, as on the local engines."""
        inputs = list(inputs)
        if not inputs:
            return []
        regexes = per_prompt(kwargs.pop("regex", None), len(inputs))
        seed = kwargs.pop("seed", None)
        configs = config if isinstance(config, list) else [config] * len(inputs)

        def one(i: int):
            extra = dict(kwargs)
            if regexes[i]:
                extra["regex"] = regexes[i]
            if seed is not None:
                extra["seed"] = int(seed) + i
            try:
                return self.invoke(inputs[i], configs[i], **extra)
            except Exception as exc:
                if return_exceptions:
                    return exc
                raise

        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(inputs))) as pool:
            return list(pool.map(one, range(len(inputs))))

    def _with_retries(self, call):
        """``call()``; connection errors, timeouts, 408/409/429/5xx are retried with backoff 0.5, 1, 2, ... s."""
        attempt = 0
        while True:
            try:
                return call()
            except ModelError:
                raise
            except Exception as exc:
                if type(exc).__name__ == "OfflineModeIsEnabled":
                    raise ModelError(OFFLINE) from exc
                status = _status(exc)
                retryable = _is_timeout(exc) or _is_connection(exc) or status in RETRY_STATUS
                if retryable and attempt < self.retries:
                    delay = min(self.backoff_s * 2 ** attempt, 16.0)
                    logger.warning("model server %s: %s; retry %d of %d in %.1f s", self.url, _detail(exc),
                                   attempt + 1, self.retries, delay)
                    time.sleep(delay)
                    attempt += 1
                    continue
                raise self._error(exc, status, attempt) from exc

    def _error(self, exc: BaseException, status: int | None, attempts: int) -> ModelError:
        tried = f" (after {attempts} retr{'y' if attempts == 1 else 'ies'})" if attempts else ""
        start = ("start it (e.g. 'brandloop model-server --port PORT') or fix the URL in --model"
                 if "127.0.0.1" in self.url or "localhost" in self.url else "check the URL and that the server runs")
        if _is_timeout(exc):
            return ModelError(f"the model server at {self.url} did not answer within {self.timeout:g} s{tried}; "
                              f"raise the limit with ?timeout=SECONDS in --model, or give the server fewer workers")
        if _is_connection(exc):
            return ModelError(f"cannot reach the model server at {self.url}{tried}; {start}")
        if status is not None:
            return ModelError(f"the model server at {self.url} answered HTTP {status}{tried}: {_detail(exc)}")
        return ModelError(f"the model server at {self.url} failed{tried}: {type(exc).__name__}: {_detail(exc)}")

    def check_server(self) -> None:
        """For ``openai:``: the server answers GET /models and serves ``model_name`` (else one ModelError line)."""
        import httpx

        def get():
            response = httpx.get(f"{self.url}/models", timeout=min(self.timeout, 10.0),
                                 headers={"Authorization": f"Bearer {_api_key()}"})
            response.raise_for_status()
            return response.json()

        listed = self._with_retries(get)
        names = [str(m.get("id")) for m in (listed or {}).get("data", []) if isinstance(m, dict)]
        if names and self.model_name not in names:
            raise ModelError(f"the model server at {self.url} serves {', '.join(names)}, not {self.model_name!r}; "
                             f"use --model openai:{self.url}#{names[0]}")


def _api_key() -> str:
    return os.environ.get("OPENAI_API_KEY") or "not-needed"  # local servers take any key


def remote_chat_model(spec: str, *, temperature: float | None = None, max_new_tokens: int = 256,
                      check: bool = True) -> RemoteChatModel:
    """The chat model for a remote ``spec`` (see the module docstring)."""
    opts = parse_spec(spec)
    start = time.perf_counter()
    if opts["kind"] == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise ModelError("openai: models need langchain-openai; pip install langchain-openai") from exc
        client = ChatOpenAI(base_url=opts["url"], model=opts["model"], api_key=_api_key(), timeout=opts["timeout"],
                            max_retries=0)  # retries: ours, with the one-line error at the end
        name = opts["model"]
    else:
        from huggingface_hub import constants
        from langchain_huggingface import ChatHuggingFace, HuggingFaceEndpoint

        if constants.is_offline_mode():
            raise ModelError(OFFLINE)

        endpoint = HuggingFaceEndpoint(endpoint_url=opts["url"], timeout=int(max(1, opts["timeout"])),
                                       max_new_tokens=max_new_tokens,
                                       huggingfacehub_api_token=os.environ.get("HF_TOKEN") or None)
        # an endpoint's model id is its URL: ChatHuggingFace then looks nothing up on the Hub
        client = ChatHuggingFace(llm=endpoint, model_id=opts["url"])
        name = opts["url"]
    info = ModelInfo(spec=spec, kind=opts["kind"], resolved_path=opts["url"], device="remote", dtype="server",
                     load_seconds=0.0, cache_hit=None, engine="remote",
                     extra={"model": name, "guided": opts["guided"], "timeout": opts["timeout"],
                            "retries": opts["retries"]})
    model = RemoteChatModel(spec=spec, url=opts["url"], model_name=name, kind=opts["kind"], guided=opts["guided"],
                            timeout=opts["timeout"], retries=opts["retries"], concurrency=opts["concurrency"],
                            max_new_tokens=max_new_tokens, temperature=temperature or None, info=info, client=client)
    if check and opts["kind"] == "openai":
        model.check_server()
    info.load_seconds = round(time.perf_counter() - start, 2)
    return model
