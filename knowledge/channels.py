"""Channel field limits, shipped as editable data (knowledge/data/channels.yaml)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, Field


class FieldSpec(BaseModel):
    max_chars: int = Field(gt=0)
    min_chars: int = 0
    min_count: int = 0
    max_count: int = 1
    draft: int = Field(1, ge=0, description="How many items the copywriter writes for this field.")
    unique: bool = False
    forbidden_chars: list[str] = []
    no_emoji: bool = False
    from_brief: Literal["brand"] | None = Field(None, description="Filled from this brief field, the same in every "
                                               "variant (a business name), never drafted.")


class ChannelSpec(BaseModel):
    name: str
    title: str
    wide_chars_count_double: bool = False
    fields: dict[str, FieldSpec]

    def drafted_fields(self) -> dict[str, FieldSpec]:
        return {k: v for k, v in self.fields.items() if v.draft > 0 and not v.from_brief}

    def brief_fields(self) -> dict[str, str]:
        """Fields filled from the brief: {field: brief field}."""
        return {k: v.from_brief for k, v in self.fields.items() if v.from_brief}


@lru_cache(maxsize=1)
def channel_table() -> dict[str, ChannelSpec]:
    raw = yaml.safe_load(resources.files("brandloop.knowledge").joinpath("data/channels.yaml").read_text("utf-8"))
    return {name: ChannelSpec(name=name, **spec) for name, spec in raw.items()}


def get_channel(name: str, overrides: dict | None = None) -> ChannelSpec:
    """The channel spec, with optional per-field overrides such as {'headline': {'max_chars': 25}}."""
    table = channel_table()
    if name not in table:
        raise KeyError(name)
    spec = table[name]
    if not overrides:
        return spec
    fields = {k: v.model_copy(update=overrides.get(k, {})) for k, v in spec.fields.items()}
    return spec.model_copy(update={"fields": fields})


def with_assets(spec: ChannelSpec, counts: dict[str, int] | None) -> ChannelSpec:
    """The spec with per-field item counts to draft (a brief's `assets`), each kept within the field's max_count."""
    if not counts:
        return spec
    fields = {k: v.model_copy(update={"draft": min(counts[k], v.max_count)}) if k in counts else v
              for k, v in spec.fields.items()}
    return spec.model_copy(update={"fields": fields})
