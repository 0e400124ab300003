"""An OpenAI-compatible HTTP server on brandloop's own engine (``brandloop model-server``).

``GET /v1/models`` and ``POST /v1/chat/completions`` (messages, ``max_tokens``/``max_completion_tokens``,
temperature, top_p, frequency_penalty, stop, seed, n=1, and vLLM's guided decoding: ``structured_outputs: {regex}`` or
``guided_regex``). Requests that arrive together from many clients are gathered into one batched engine call
(``CoalescingModel``: a short window, then one ``batch`` per set of generation arguments), so workers sharing
the server share its batches. Errors are OpenAI-style JSON bodies: ``{"error": {"message", "type", "param",
"code"}}``.
"""
from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from starlette.exceptions import HTTPException as StarletteHTTPException

from brandloop.queue.coalesce import CoalescingModel

ROLES = {"system": SystemMessage, "developer": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
UNSUPPORTED = ("tools", "functions", "logprobs", "response_format", "guided_json", "guided_choice", "guided_grammar")


class ApiError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None, kind: str = "invalid_request_error",
                 code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.kind, self.code = status, message, param, kind, code


def _error(status: int, message: str, param: str | None = None, kind: str = "invalid_request_error",
           code: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": param, "code": code}}, status_code=status)


def _text(content: Any, i: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                raise ApiError(400, "only text content parts are supported", f"messages[{i}].content")
        return "".join(parts)
    raise ApiError(400, "content must be a string or a list of text parts", f"messages[{i}].content")


def _messages(body: dict) -> list:
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, "messages must be a non-empty list", "messages")
    out = []
    for i, m in enumerate(raw):
        role = m.get("role") if isinstance(m, dict) else None
        if role not in ROLES:
            raise ApiError(400, f"role must be one of {', '.join(ROLES)}", f"messages[{i}].role")
        out.append(ROLES[role](content=_text(m.get("content", ""), i)))
    return out


def _number(body: dict, name: str, kind: type, low: float, high: float):
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and int(value) != value):
        raise ApiError(400, f"{name} must be {'an integer' if kind is int else 'a number'}", name)
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low:g} and {high:g}", name)
    return kind(value)


def _regex(body: dict) -> str | None:
    structured = body.get("structured_outputs")
    if structured is not None:
        if not isinstance(structured, dict) or set(structured) - {"regex"}:
            raise ApiError(400, "structured_outputs supports only {\"regex\": PATTERN} here", "structured_outputs")
        pattern = structured.get("regex")
    else:
        pattern = body.get("guided_regex")
    if pattern is not None and (not isinstance(pattern, str) or not pattern):
        raise ApiError(400, "the regex must be a non-empty string", "structured_outputs.regex")
    return pattern


def generation_call(body: dict, max_tokens_cap: int) -> tuple[list, dict]:
    """The LangChain messages and the ``batch`` arguments of one chat-completions request body."""
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    if body.get("stream"):
        raise ApiError(400, "streaming is not supported; send stream=false", "stream")
    for name in UNSUPPORTED:
        if body.get(name) not in (None, [], {}):
            raise ApiError(400, f"{name} is not supported by this server", name)
    n = _number(body, "n", int, 1, 1)
    del n
    messages = _messages(body)
    max_tokens = _number(body, "max_completion_tokens", int, 1, max_tokens_cap)
    if max_tokens is None:
        max_tokens = _number(body, "max_tokens", int, 1, max_tokens_cap)
    temperature = _number(body, "temperature", float, 0, 2)
    kwargs: dict[str, Any] = {"max_new_tokens": max_tokens or 256}
    frequency_penalty = _number(body, "frequency_penalty", float, -2, 2)
    if frequency_penalty:
        kwargs["frequency_penalty"] = frequency_penalty
    if temperature:
        kwargs["temperature"] = temperature
        seed = _number(body, "seed", int, -2**63, 2**63 - 1)
        if seed is not None:
            kwargs["seed"] = seed  # greedy requests drop the seed, so they can share a batch
        top_p = _number(body, "top_p", float, 0, 1)
        if top_p is not None:
            kwargs["top_p"] = top_p
    stop = body.get("stop")
    if stop is not None:
        stop = [stop] if isinstance(stop, str) else stop
        if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop) or len(stop) > 8:
            raise ApiError(400, "stop must be a string or a list of up to 8 non-empty strings", "stop")
        kwargs["stop"] = list(stop)
    pattern = _regex(body)
    if pattern is not None:
        kwargs["regex"] = [pattern]
    return messages, kwargs


def create_model_app(llm, model_name: str, *, window_s: float = 0.02, max_tokens_cap: int = 4096) -> FastAPI:
    """The FastAPI app serving ``llm`` (a brandloop chat model, or any chat model with ``batch``) as
    ``model_name``."""
    app = FastAPI(title="brandloop model server", docs_url=None, redoc_url=None)
    gathered = CoalescingModel(llm, window_s)
    app.state.model = gathered
    app.state.stats = stats = {"requests": 0, "completion_tokens": 0, "prompt_tokens": 0}
    lock = threading.Lock()
    created = int(time.time())

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return _error(exc.status, exc.message, exc.param, exc.kind, exc.code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return _error(exc.status_code, f"{request.method} {request.url.path}: {exc.detail}", kind=kind)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        return _error(400, "the body must be JSON")

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": [{"id": model_name, "object": "model", "created": created,
                                            "owned_by": "brandloop"}]}

    @app.get("/health")
    def health():
        return {"status": "ok", **stats, **gathered.stats}

    @app.post("/v1/chat/completions")
    def chat_completions(body: dict):
        messages, kwargs = generation_call(body, max_tokens_cap)
        if "regex" in kwargs and not getattr(llm, "supports_regex", False):
            raise ApiError(400, "this model's engine has no guided decoding", "structured_outputs")
        try:
            reply = gathered.batch([messages], **kwargs)[0]
        except ApiError:
            raise
        except (TypeError, ValueError) as exc:
            raise ApiError(400, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
        except Exception as exc:  # the engine failed: the client may retry
            line = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise ApiError(500, f"generation failed: {line}", kind="server_error") from exc
        usage = reply.usage_metadata or {}
        prompt_tokens, completion_tokens = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        finish = (reply.response_metadata or {}).get("finish_reason") or "stop"
        with lock:
            stats["requests"] += 1
            stats["prompt_tokens"] += prompt_tokens
            stats["completion_tokens"] += completion_tokens
        return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
                "model": model_name,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": str(reply.content)},
                             "finish_reason": "length" if finish == "length" else "stop", "logprobs": None}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens + completion_tokens}}

    return app
