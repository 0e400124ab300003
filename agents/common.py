"""Small helpers the agents share: reading the brief, channel and settings out of state."""
from __future__ import annotations

from brandloop.agents.inputs import Brief, RunSettings
from brandloop.knowledge.channels import ChannelSpec, get_channel, with_assets
from brandloop.knowledge.checks import label


def brief_of(state) -> Brief:
    return state["brief"]


def brief_text(brief: Brief) -> str:
    """The brief's own words (brand, product, message, goal): what the copy's script is judged from."""
    return " ".join([brief.brand, brief.product.name, brief.product.description, brief.key_message, brief.goal])


def settings_of(state) -> RunSettings:
    return state["settings"]


def channel_of(state, knowledge=None) -> ChannelSpec:
    """The brief's channel with the rulebook's overrides, and the brief's `assets` counts (items per variant)."""
    brief = brief_of(state)
    overrides = (getattr(knowledge, "channel_overrides", None) or {}).get(brief.channel)
    return with_assets(get_channel(brief.channel, overrides), brief.assets)


def labelled(fields: dict[str, list[str]]) -> list[tuple[str, str]]:
    """[('HEADLINE 1', '...'), ...] in field order, for prompts and reports."""
    out = []
    for name, items in fields.items():
        for i, text in enumerate(items):
            out.append((f"{label(name)} {i + 1}" if len(items) > 1 else label(name), text))
    return out
