"""Over-generate and select: a whole-ad draft writes more lines per field than the ad needs, and the best clean
lines are kept.

A line is dropped when it breaks a hard rule on its own, copies a phrase of the prompt's worked examples or a line
of the brand's approved ads, repeats a word, or is already used by another variant of the run (the same line, case
ignored, is never kept twice in one variant either). The rest are ranked by measured quality (relevance to
the brief and its facts, how much of the field's room it uses, the brief's keywords) and picked one at a time
with maximal marginal relevance, so the lines of a variant, and the variants of a run, differ. The critic's LLM
judgement then ranks only these finalists.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from brandloop.knowledge.channels import ChannelSpec, FieldSpec
from brandloop.knowledge.checks import content_word_set, read_as_repeat, same_wording
from brandloop.knowledge.lint import line_key

LineProblems = Callable[..., list[str]]  # (field, line, lint=False) -> hard problems of that line alone (and lint)

SIMILARITY_WEIGHT = 0.5
# A line whose cosine to every one of the brief's texts (message, audience, each fact, required texts) is under
# this is about something else: 'Ice cream on a hot day' in a pale ale's ad (0.26). On-brief lines of the example
# briefs measure 0.4 and up.
OFF_BRIEF = 0.3
# A call to action is on any brief: 'Open Online Today' measures 0.58 to these, 'Ice cream on a hot day' 0.27.
CALLS_TO_ACTION = ("Sign up today.", "Open an account online.", "Shop now.", "Order online today.",
                   "Get started in minutes.", "Buy now.", "Try it today.", "Book a demo.", "Find a store near you.")
USED = "already used by another variant"
COPIES = "copies the "
OFF = "off the brief"
REPEATS = "reads as a repeat of "
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_MINOR = {"a", "an", "and", "the", "of", "to", "in", "on", "for", "with", "your", "you", "our", "or", "at", "by",
          "is", "are", "it", "its", "be", "no", "not", "from", "all", "more", "per"}


def candidate_count(field: FieldSpec) -> int:
    """Lines to draft for a field: the ad's count plus a quarter again, at least one more (10 headlines: 13). Each
    line costs generation time; a shortfall is written anew line by line."""
    return field.draft + max(1, -(-field.draft // 4))


def distinct(lines: list[str]) -> list[str]:
    """The non-empty lines, each once (case ignored), in their first order."""
    seen: dict[str, str] = {}
    for t in lines:
        if t:
            seen.setdefault(t.casefold(), t)
    return list(seen.values())


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def repeated_word(line: str) -> str | None:
    """A content word that appears twice in one line ('Savings Savings'), or None."""
    seen: set[str] = set()
    for w in words(line):
        if w in _MINOR or len(w) < 3:
            continue
        if w in seen:
            return w
        seen.add(w)
    return None


def content_words(text: str) -> list[str]:
    """The words of ``text`` without articles, prepositions and other minor words, case-folded."""
    return [w for w in words(text) if w not in _MINOR]


def shared_phrase(line: str, others: list[str], n: int = 3, allowed: str = "") -> str | None:
    """The first run of ``n`` content words ``line`` shares with any of ``others`` (a worked example leaking:
    'Pre-portioned dinners' in a bank's ad), or None. Minor words in between don't count, so 'delivered to your
    door every week' and 'delivered door every' share a phrase."""
    grams = {tuple(ws[i:i + n]) for o in others for ws in [content_words(o)] for i in range(len(ws) - n + 1)}
    own = content_words(allowed)  # the brief's own phrases are never a leak
    grams -= {tuple(own[i:i + n]) for i in range(len(own) - n + 1)}
    ws = content_words(line)
    for i in range(len(ws) - n + 1):
        if tuple(ws[i:i + n]) in grams:
            return " ".join(ws[i:i + n])
    return None


_EXAMPLE_LINE = re.compile(r"^\s*(?:[A-Za-z][A-Za-z ]*?\s*\d*\s*:\s*)?(?P<text>.+?)\s*$")
_COPY_LABEL = re.compile(r"^\s*(?:headline|description|primary text|intro text|post text|ad text|body|card headline|"
                         r"business name)s?\s*\d*\s*:", re.I)


EXAMPLES_SHOWN = 2


def examples_for(brief) -> tuple[dict, ...]:
    """The worked examples a brief is shown (prompts/copy_examples.yaml): the EXAMPLES_SHOWN whose products lie
    farthest from the brief's, by their topic words in its text and then by embedding cosine, in file order. A
    meal-kit brand shown the meal-kit example takes its lines for its own ('Pre-portioned ingredients and simple
    recipes' in FieldTable's ad)."""
    key = " ".join([brief.brand, brief.product.name, brief.product.description, *brief.product.facts,
                    *brief.audience, brief.key_message, brief.goal, *brief.keywords])
    return _examples_for(key)


@lru_cache(maxsize=1)
def all_examples() -> tuple[dict, ...]:
    from brandloop import prompts

    return tuple(prompts.load_data("copy_examples"))


@lru_cache(maxsize=64)
def _examples_for(key: str) -> tuple[dict, ...]:
    examples = all_examples()
    vecs = _embed([key, *(f"{ex['product']}. {ex['audience']}. {' '.join(ex['lines']['description'])}"
                          for ex in examples)])
    hits = [sum(bool(p.search(key)) for p in _topic_patterns(ex)) for ex in examples]
    far = sorted(range(len(examples)), key=lambda i: (hits[i], float(vecs[0] @ vecs[i + 1])))[:EXAMPLES_SHOWN]
    return tuple(examples[i] for i in sorted(far))


def _topic_patterns(example: dict) -> list[re.Pattern]:
    """An example product's words (`topic`), as patterns that also match a plural."""
    return [re.compile(rf"(?<![\w-]){re.escape(t)}(?:s|es)?(?![\w-])", re.I) for t in example.get("topic", [])]


def worked_examples(shown: tuple[dict, ...] | None = None) -> tuple[str, ...]:
    """Every ad line the prompts show as a worked example: the lines of ``shown`` (a brief's examples_for; default
    every example in prompts/copy_examples.yaml), and the copy lines in each prompt's fixed shots (the assistant's
    replies, and 'Headline: ...' lines the user shows). Template lines are skipped."""
    examples = all_examples() if shown is None else shown
    own = [t for ex in examples for ls in [*ex["lines"].values(), ex.get("new_lines", {}).values()] for t in ls]
    return tuple(dict.fromkeys([*own, *_shot_lines()]))


@lru_cache(maxsize=1)
def _shot_lines() -> tuple[str, ...]:
    import yaml
    from importlib import resources

    out = []
    for f in sorted(resources.files("brandloop.prompts").iterdir(), key=lambda f: f.name):
        if not f.name.endswith(".yaml") or f.name == "copy_examples.yaml":
            continue
        raw = yaml.safe_load(f.read_text("utf-8"))
        for shot in (raw.get("shots") or []) if isinstance(raw, dict) else []:
            for role in ("user", "assistant"):
                for ln in str(shot.get(role, "")).splitlines():
                    if "{" in ln or not ln.strip() or (role == "user" and not _COPY_LABEL.match(ln)):
                        continue
                    out.append(_EXAMPLE_LINE.match(ln).group("text"))
    return tuple(out)


def example_topic(line: str, allowed: str = "", shown: tuple[dict, ...] | None = None) -> str | None:
    """A word of a shown worked example's product in ``line`` ('runners' in a beer ad, 'Pre-portioned' in a
    bank's) that ``allowed`` (the brief's and the brand's own texts) never uses, or None. ``shown``: a brief's
    examples_for (default: every example)."""
    for ex in all_examples() if shown is None else shown:
        for pat in _topic_patterns(ex):
            if (m := pat.search(line)) and not pat.search(allowed):
                return m.group()
    return None


# Words about the copy rather than the product: the prompt's instructions leaking into a line ('Use the exact text').
_PROMPT_TALK = re.compile(r"(?<![\w-])(?:exact text|exact wording|headlines?|descriptions?|primary text|body text|"
                          r"sentence case|title case|guidelines?|brand rules?|key message|worked example|"
                          r"this ad|the ad|your ad|ad copy|checker|critique)(?![\w-])", re.I)


def prompt_talk(line: str, allowed: str = "") -> str | None:
    """Words of the prompt's instructions in ``line`` that ``allowed`` never uses, or None: talk about the copy
    ('Use the exact text'), or a phrase of the copy prompts' instructions or creative angles ('Six options per
    field, each different from the others', 'the most concrete products')."""
    m = _PROMPT_TALK.search(line)
    if m and m.group().casefold() not in allowed.casefold():
        return m.group()
    return _instruction_phrase(line, allowed)


_TEMPLATE_TAG = re.compile(r"{{.*?}}|{%.*?%}", re.S)
COPY_PROMPTS = ("copywriter", "new_line", "rewrite", "retry")


@lru_cache(maxsize=1)
def _instruction_grams() -> frozenset[tuple[str, ...]]:
    """Runs of 3 content words (plurals as singulars, 'leading' as 'lead') in the copy prompts' instructions (not
    their worked examples, which `worked_examples` covers, nor what a brief fills in) and in the creative angles.
    A template tag ends a phrase: the brief's words are filled in there."""
    from brandloop import prompts

    texts = list(prompts.load_data("angles"))
    for name in COPY_PROMPTS:
        raw = prompts.load_data(name)  # the template's own text, unrendered
        for part in (raw.get("system", ""), raw.get("user", "")):
            texts += [t for ln in part.splitlines() if not _COPY_LABEL.match(ln)
                      for t in _TEMPLATE_TAG.split(ln)]
    return frozenset(g for t in texts for g in _grams(t))


def _grams(text: str, n: int = 3) -> set[tuple[str, ...]]:
    ws = [w[:-3] if len(w) > 5 and w.endswith("ing") else w[:-1] if len(w) > 3 and w.endswith("s")
          and not w.endswith("ss") else w for w in content_words(text)]
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def _instruction_phrase(line: str, allowed: str) -> str | None:
    hit = sorted((_grams(line) & _instruction_grams()) - _grams(allowed))
    return " ".join(hit[0]) if hit else None


def own_defect(line: str, examples: list[str], copies: Callable[[str], str | None] | None = None) -> str | None:
    """What is wrong with a line on its own (a repeated word, a worked example's phrase, an approved ad's line)."""
    if w := repeated_word(line):
        return f"repeats '{w}'"
    if p := shared_phrase(line, examples):
        return f"{COPIES}worked example's '{p}'"
    if copies is not None and (ad := copies(line)):
        return f"{COPIES}approved ad {ad}"
    return None


def _embed(texts: list[str]) -> np.ndarray:
    from brandloop.knowledge.embeddings import embed

    return np.asarray(embed(texts), dtype=np.float32)


class LineSelector:
    """Picks each variant's lines from its candidates; remembers what earlier variants took."""

    def __init__(self, spec: ChannelSpec, brief_text: str, keywords: list[str], examples: list[str],
                 problems: LineProblems, taken: dict[str, list[str]] | None = None,
                 copies: Callable[[str], str | None] | None = None, anchors: list[str] = (), voice: str = ""):
        self.spec = spec
        self.brief_text = brief_text
        self.anchors = list(dict.fromkeys([brief_text, *(a for a in anchors if a.strip())]))  # relevance: the best
        self.keywords = [k.casefold() for k in keywords if k.strip()]
        self.examples = examples
        self.problems = problems
        self.copies = copies  # the id of a brand's approved ad this exact line comes from, or None
        self.voice = voice  # the brief's tone and the brand's voice words (agents.scoring.voice_text)
        self.taken: dict[str, list[str]] = {k: list(v) for k, v in (taken or {}).items()}
        self._vec: dict[str, np.ndarray] = {}

    def _vectors(self, lines: list[str]) -> None:
        voice = [self.voice] if self.voice else []
        new = [t for t in dict.fromkeys([*self.anchors, *CALLS_TO_ACTION, *voice, *lines]) if t not in self._vec]
        if new:
            for t, v in zip(new, _embed(new)):
                self._vec[t] = v

    def relevance(self, line: str, texts: tuple[str, ...] = ()) -> float:
        """The line's cosine to the nearest of the brief's texts (and of ``texts``)."""
        self._vectors([line])
        return max(float(self._vec[line] @ self._vec[a]) for a in [*self.anchors, *texts])

    def off_brief(self, line: str) -> str | None:
        """Why ``line`` is about something else than the brief or a call to action, or None."""
        rel = self.relevance(line, CALLS_TO_ACTION)
        return f"{OFF} (cosine {rel:.2f} to its nearest text)" if rel < OFF_BRIEF else None

    def used(self, line: str, replacing: str | None = None) -> bool:
        """Whether a variant of the run already has ``line`` (case and punctuation aside) or a line worded like it,
        apart from the line it would replace (a rewrite may keep most of its own line's words)."""
        words, key = content_word_set(line), line_key(line)
        lines = [t for items in self.taken.values() for t in items]
        if replacing in lines:
            lines.remove(replacing)
        return any(key == line_key(t) or same_wording(words, content_word_set(t)) for t in lines)

    def defect(self, line: str) -> str | None:
        """What is wrong with ``line`` whatever its field: its own defect (a copy, a repeated word) or being off the
        brief."""
        return own_defect(line, self.examples, self.copies) or self.off_brief(line)

    def why_not(self, field: str, line: str) -> str | None:
        """Why ``line`` can't be used in ``field`` (None: it can)."""
        if self.used(line):
            return USED
        if defect := self.defect(line):
            return defect
        problems = self.problems(field, line)
        return "; ".join(problems) if problems else None

    def quality(self, field: str, line: str) -> float:
        """0-1.15: relevance to the brief (cosine to its nearest text), fit to the brand's voice (cosine), ease of
        reading (Flesch, as the critic measures it), share of the field's room used, a keyword bonus."""
        from brandloop.agents.scoring import readability

        fs = self.spec.fields.get(field)
        rel = float(np.clip(self.relevance(line), 0.0, 1.0))
        voice = float(np.clip(self._vec[line] @ self._vec[self.voice], 0.0, 1.0)) if self.voice else 0.0
        fill = min(1.0, len(line) / fs.max_chars) if fs else 0.5
        bonus = 0.15 if any(k in line.casefold() for k in self.keywords) else 0.0
        return 0.4 * rel + 0.1 * voice + 0.1 * readability(line) / 100 + 0.4 * fill + bonus

    def take(self, field: str, line: str) -> None:
        """Record a line written outside pick() (a missing line written anew) as used by this run."""
        self.taken.setdefault(field, []).append(line)

    def pick(self, candidates: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict]:
        """The variant's lines per field and a report {field: {chosen, dropped: {line: reason}, runners_up}}:
        runners-up are the clean lines not chosen, best first (finalize's alternatives for a line it can't
        repair)."""
        all_lines = [t for items in candidates.values() for t in items]
        self._vectors(all_lines + [t for items in self.taken.values() for t in items])
        fields: dict[str, list[str]] = {}
        report: dict[str, dict] = {}
        for field, lines in candidates.items():
            need = self.spec.fields[field].draft if field in self.spec.fields else len(lines)
            unique = distinct(lines)
            dropped = {t: r for t in unique if (r := self.why_not(field, t))}
            clean = [t for t in unique if t not in dropped]
            chosen: list[str] = []
            others = [t for items in self.taken.values() for t in items]
            fs = self.spec.fields.get(field)
            combines = bool(fs and fs.unique)

            def repeated(t: str) -> str | None:  # a chosen line it reads as a repeat beside (RSA combinations)
                return next((o for o in chosen if read_as_repeat(content_word_set(t), content_word_set(o))), None)
            while clean and len(chosen) < need:
                def mmr(t: str) -> float:
                    near = [float(self._vec[t] @ self._vec[o]) for o in chosen + others]
                    return self.quality(field, t) - SIMILARITY_WEIGHT * max(near, default=0.0) - 2.0 * bool(
                        combines and repeated(t))  # a repeat goes last
                best = max(clean, key=mmr)
                clean.remove(best)
                if combines and len(chosen) >= fs.min_count and (o := repeated(best)):
                    dropped[best] = REPEATS + repr(o)  # past the channel's minimum, a new line is written instead
                    continue
                chosen.append(best)
            # too few clean lines: keep lines with problems a rewrite can fix (the revision loop rewrites them), not
            # copies of an approved ad or a worked example (a rewrite shown the line copies it again), lines off the brief
            # or repeats of a chosen line. The copywriter
            # writes the missing lines anew; a line another variant uses is kept aside as `siblings`, a last resort
            # up to the channel's minimum once new lines failed (the set lint reports it). Finalize never fills a gap
            # from another variant.
            fixable = [t for t in unique if t in dropped and dropped[t] != USED
                       and not dropped[t].startswith((COPIES, OFF, REPEATS))]
            while fixable and len(chosen) < need:
                best = max(fixable, key=lambda t: self.quality(field, t))
                chosen.append(best)
                fixable.remove(best)
            siblings = [t for t in unique if dropped.get(t) == USED  # the model's order; like `fixable`, never a
                        and not (self.defect(t) or "").startswith((COPIES, OFF))]  # copy or a line off the brief
            runners_up = sorted(clean, key=lambda t: -self.quality(field, t))
            chosen.sort(key=unique.index)  # the model's own order
            fields[field] = chosen
            report[field] = {"chosen": chosen, "dropped": dropped, "runners_up": runners_up,
                             "missing": need - len(chosen), "siblings": siblings}
        for field, chosen in fields.items():
            self.taken.setdefault(field, []).extend(chosen)
        return fields, report
