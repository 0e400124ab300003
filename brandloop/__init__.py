"""brandloop: a brief in, brand-safe ad copy out. The project's top-level folders (agents, graph, knowledge,
materials, prompts) install as subpackages of this one (``brandloop.agents`` ...): see pyproject.toml."""

import os as _os
from pathlib import Path as _Path

# torch's OpenMP threads busy-wait between parallel regions; on a shared 2-core machine that made the
# transformers engine 3x slower (docs/llm.md). A user's own setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Run from a source checkout (the folders sit beside this package, not inside it): find them there too.
_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "agents" / "__init__.py").is_file():
    __path__.append(str(_checkout))
