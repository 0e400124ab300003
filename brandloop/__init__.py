"""brandloop's user-facing surfaces (CLI, later web) and the local LLM backends."""

import os as _os

# torch's OpenMP threads busy-wait between parallel regions; on a shared 2-core machine that made the
# transformers engine 3x slower (docs/llm.md). A user's own setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
