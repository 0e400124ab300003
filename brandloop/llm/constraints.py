"""Regex-constrained decoding on the transformers path, with llguidance.

llguidance was chosen over xgrammar, outlines and lm-format-enforcer because it has no dependencies (one
Rust wheel; xgrammar pulls triton, outlines a stack of its own), computes a token mask in microseconds, and
speaks the same regex dialect the OpenVINO engine's structured output does, so one pattern serves both.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=4)
def _ll_tokenizer(tokenizer: Any):
    import llguidance.hf

    return llguidance.hf.from_tokenizer(tokenizer)


class RegexLogitsProcessor:
    """A transformers logits processor: row ``i`` of the batch may only follow ``regexes[i]`` (None: free).

    When a row's pattern is complete, only end-of-sequence tokens are allowed.
    """

    def __init__(self, tokenizer: Any, regexes: list[str | None], eos_ids: set[int]):
        import llguidance

        ll_tok = _ll_tokenizer(tokenizer)
        self.matchers = []
        for rx in regexes:
            if rx is None:
                self.matchers.append(None)
                continue
            m = llguidance.LLMatcher(ll_tok, llguidance.LLMatcher.grammar_from_regex(rx), log_level=0)
            if m.is_error():
                raise ValueError(f"the constraint pattern is not valid: {m.get_error()}")
            self.matchers.append(m)
        self.eos_ids = sorted(eos_ids)
        self.started = False

    def __call__(self, input_ids, scores):
        import torch

        for row, m in enumerate(self.matchers):
            if m is None:
                continue
            if self.started and not m.is_stopped() and not m.is_error():
                m.consume_token(int(input_ids[row, -1]))
            if m.is_stopped() or m.is_error():
                keep = torch.full_like(scores[row], float("-inf"))
                keep[self.eos_ids] = scores[row, self.eos_ids]
                scores[row] = keep
                continue
            eos_scores = scores[row, self.eos_ids].clone()
            allowed = torch.frombuffer(bytearray(m.compute_logit_bias()), dtype=torch.uint8).bool()
            n = min(allowed.numel(), scores.shape[1])
            row_scores = scores[row]
            row_scores[:n][~allowed[:n]] = float("-inf")
            row_scores[n:] = float("-inf")
            if m.is_accepting():
                row_scores[self.eos_ids] = eos_scores
        self.started = True
        return scores


class FrequencyPenalty:
    """A transformers logits processor with OpenAI's ``frequency_penalty``: each token's logit goes down by
    ``penalty`` times the number of times the reply so far holds it (tokens from ``prompt_len`` on; the prompt's own
    tokens are not counted, so the brief's facts stay free to use)."""

    def __init__(self, penalty: float, prompt_len: int):
        self.penalty = penalty
        self.prompt_len = prompt_len

    def __call__(self, input_ids, scores):
        import torch

        generated = input_ids[:, self.prompt_len:]
        if generated.shape[1] == 0 or not self.penalty:
            return scores
        counts = torch.zeros_like(scores)
        counts.scatter_add_(1, generated, torch.ones_like(generated, dtype=scores.dtype))
        return scores - self.penalty * counts
