"""The one rule for names that become folder names or ids: rulebooks (CLI, web, API) and web run ids."""
from __future__ import annotations

import re

from brandloop.errors import InvalidName  # noqa: F401 - re-exported for old imports

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)
NAME_FIX = "use 1-64 letters, digits, '_' or '-', starting with a letter or digit (e.g. my_brand)"


def is_valid_name(name) -> bool:
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def check_name(name, what: str = "rulebook") -> str:
    """`name` unchanged if it is a plain name (never '.', '..', a path or a dotted name); else InvalidName."""
    if not is_valid_name(name):
        shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:77] + "..."
        raise InvalidName(f"invalid {what} name {shown} ({NAME_FIX})")
    return name
