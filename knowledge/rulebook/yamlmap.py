"""Old import location; the line-keeping YAML loader lives in knowledge/yamlmap.py (rules and rulebook both use it)."""
from brandloop.knowledge.yamlmap import LineMap, YamlSyntaxError, load_yaml  # noqa: F401 - re-exported for old imports
