"""Old import location of the rulebook errors; they live in brandloop/errors.py."""
from brandloop.errors import Issue, RulebookError  # noqa: F401 - re-exported for old imports
