"""Prompt templates as package data (YAML with Jinja2 strings), rendered strictly.

A missing variable is an error (StrictUndefined). There is no prompt text in Python code.
Every rendered message carries its template's id (`additional_kwargs["template"]`, e.g. "critic"), which the
engines ignore and tests route on (`template_of`), so a reworded prompt does not break them.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2
import yaml
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          keep_trailing_newline=False, autoescape=False)


@lru_cache(maxsize=None)
def _load(name: str) -> dict:
    return compile_template(yaml.safe_load(resources.files(__name__).joinpath(f"{name}.yaml").read_text("utf-8")))


def compile_template(raw: dict) -> dict:
    """A template file's parsed YAML, its strings compiled (``shots`` as (user, assistant) pairs)."""
    out: dict = {role: _ENV.from_string(text) for role, text in raw.items() if isinstance(text, str)}
    out["shots"] = [(_ENV.from_string(s["user"]), _ENV.from_string(s["assistant"])) for s in raw.get("shots", [])]
    return out


TEMPLATE_KEY = "template"


def render(name: str, **variables) -> list[BaseMessage]:
    """Render prompts/<name>.yaml into chat messages: system, worked examples (`shots`) if any, then user."""
    tpl = _load(name)
    tag = {TEMPLATE_KEY: name}
    messages: list[BaseMessage] = []
    if "system" in tpl:
        messages.append(SystemMessage(tpl["system"].render(**variables).strip(), additional_kwargs=dict(tag)))
    for user, assistant in tpl["shots"]:
        messages += [HumanMessage(user.render(**variables).strip(), additional_kwargs=dict(tag)),
                     AIMessage(assistant.render(**variables).strip(), additional_kwargs=dict(tag))]
    messages.append(HumanMessage(tpl["user"].render(**variables).strip(), additional_kwargs=dict(tag)))
    return messages


def render_message(name: str, part: str = "user", **variables) -> HumanMessage:
    """One human message from a part of a template (e.g. the parse-retry note), tagged with the template's id."""
    return HumanMessage(render_text(name, part, **variables), additional_kwargs={TEMPLATE_KEY: name})


def template_of(messages: list[BaseMessage]) -> str | None:
    """The id of the template a conversation was rendered from (its first tagged message), else None."""
    return next((m.additional_kwargs[TEMPLATE_KEY] for m in messages if TEMPLATE_KEY in m.additional_kwargs), None)


def has_part(name: str, part: str) -> bool:
    return part in _load(name)


def render_text(name: str, part: str, **variables) -> str:
    """Render one named part of a template file (for short fixed phrases such as fix instructions)."""
    return _load(name)[part].render(**variables).strip()


@lru_cache(maxsize=None)
def load_data(name: str):
    """Plain YAML data that belongs with the prompts (e.g. the copywriter's creative angles)."""
    return yaml.safe_load(resources.files(__name__).joinpath(f"{name}.yaml").read_text("utf-8"))
