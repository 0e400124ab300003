"""Deterministic repairs, shared by the copywriter's revision step and finalize: substitutions and casing from the
rulebook, required text (disclaimers) placed where it fits, removal of a whole claim or forbidden phrase, cutting
an over-long line after a whole sentence or phrase, and replacing a line no repair can fix with one of the
variant's own clean runners-up.

A repair never leaves a fragment: a phrase is dropped only when it is a separate part of the line (between commas,
dashes or sentence ends) and the rest still reads ("the in every regard", "deliver and ever." and "Online Savings,
Value" are never shipped); a line is never cut mid-phrase at its limit; gaps are never filled with another
variant's lines. What no repair can fix is left for the copywriter's rewrite, or delivered marked failed."""
from __future__ import annotations

import regex

from brandloop.agents.common import channel_of
from brandloop.knowledge.lint import dangling
from brandloop.knowledge.text import char_length
from brandloop.knowledge.violations import Violation, hard_count, is_lint

MAX_PHRASE_WORDS = 4  # a claim phrase a repair may drop whole ("Best Value", "the fastest ride yet")
# commas, colons, semicolons, bars, spaced dashes, em dashes and sentence ends; not "$1,000", "9:30" or "9–5"
_SEPARATOR = regex.compile(r"\s*(?:[,:](?!\d)|[;|]|\s[-\u2013\u2014]\s|\u2014|[.!?](?=\s|$))\s*")
_WORDS = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’%.-]*")
_PREPOSITION = regex.compile(r"(?i)\s(?:for|with|without|to|at|in|on|of|from|by|into|about)(?=\s|$)")
_PARTICIPLE = regex.compile(r"(?i)(?:[^e\s]ed|\b(?:sold|made|built|grown|known|done|born|brought|set|put))$")
_LEADING_JOINERS = {"and", "or", "but", "nor", "than", "so", "plus", "&", "with", "of", "to", "in", "for", "by",
                    "from", "at", "on", "as"}


def reads_whole(text: str) -> bool:
    """Whether ``text`` still reads as a line: two or more words, no dangling end, stray punctuation or article
    without its noun (knowledge.lint.dangling), and no joining word where a line or sentence starts."""
    words = _WORDS.findall(text)
    if len(words) < 2 or dangling(text):
        return False
    starts = [0] + [m.end() for m in regex.finditer(r"[.!?]\s+", text)]
    return not any((_WORDS.findall(text[s:s + 30]) or [""])[0].casefold() in _LEADING_JOINERS for s in starts)


def _segments(text: str) -> list[tuple[int, int]]:
    """(start, end) of each part of a line between separators (commas, dashes, sentence ends)."""
    out, pos = [], 0
    for m in _SEPARATOR.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    return out


def remove_phrase(text: str, start: int, end: int) -> str | None:
    """``text`` without the whole phrase that holds [start, end), or None when that would leave a fragment: the
    phrase is the whole line, longer than MAX_PHRASE_WORDS words, or the rest does not read."""
    segs = _segments(text)
    hit = [i for i, (s, e) in enumerate(segs) if s <= start and end <= e]
    if not hit or len(segs) < 2:
        return None
    i = hit[0]
    s, e = segs[i]
    if len(_WORDS.findall(text[s:e])) > MAX_PHRASE_WORDS:
        return None
    if i > 0:  # drop the separator before the phrase, keep the one after it ("A, B." -> "A.")
        out = text[:segs[i - 1][1]] + text[e:]
    else:
        out = text[segs[1][0]:]
        out = out[:1].upper() + out[1:]
    out = " ".join(out.split()).strip()
    return out if reads_whole(out) else None


def trim_whole(text: str, limit: int, *, wide_counts_double: bool = False,
               before_prepositions: bool = False) -> str | None:
    """The longest start of ``text`` that fits ``limit`` and ends after a whole sentence or phrase, or None: a line
    is never cut inside a phrase ("Savings Plan for Young"). ``before_prepositions``: a whole phrase may also end
    where a prepositional phrase starts ("No monthly maintenance fee" from "No monthly maintenance fee for"), unless
    a participle is left waiting for it ("A hazy pale ale brewed") or one word after a separator ("Save More, Bank")."""
    text = text.strip()
    if char_length(text, wide_counts_double=wide_counts_double) <= limit:
        return text
    heads = []
    for m in _SEPARATOR.finditer(text):
        sep = m.group().strip()
        heads.append((text[:m.start()] + (sep if sep in (".", "!", "?") else "")).strip())
    if before_prepositions:
        heads += [h for m in _PREPOSITION.finditer(text)
                  if not _PARTICIPLE.search(h := text[:m.start()].rstrip(" ,;:-–—"))
                  and len(_WORDS.findall(_SEPARATOR.split(h)[-1])) >= 2]
    fits = [h for h in heads if char_length(h, wide_counts_double=wide_counts_double) <= limit and reads_whole(h)]
    return max(fits, key=len, default=None)


def required_texts(rules) -> list[str]:
    """The texts (disclaimers) that the `required` rules among ``rules`` ask every variant to carry."""
    return [t for r in rules if getattr(r, "type", "") == "required"
            for t in ([r.params.get("text")] if isinstance(r.params.get("text"), str) else r.params.get("text") or [])]


def rules_in_force(brief, knowledge) -> list:
    """The rulebook's rules for the brief's product, channel and audience (none without a rulebook)."""
    if knowledge is None:
        return []
    return knowledge.rules_for(product=brief.product.name, channel=brief.channel, audience=brief.audience)


def rules_by_id(state, knowledge) -> dict:
    return {r.id: r for r in rules_in_force(state["brief"], knowledge)}


def place_required(fields: dict[str, list[str]], texts: list[str], allowed: list[str], spec) -> list[dict]:
    """Append required texts (disclaimers) where they fit: all together in the item with the most room if they fit
    there, else one per item. To make room the item's own copy keeps only its whole sentences or phrases that fit
    (never a cut phrase); where no item's copy can be shortened so, the disclaimer takes the place of a whole item
    of a field with several."""
    wide = spec.wide_chars_count_double
    log: list[dict] = []

    def body_for(text: str, limit: int, need: int) -> str | None:
        return trim_whole(text, limit - need - 1, wide_counts_double=wide) if limit > need + 1 else None

    def candidates(need: int, used: set):
        out, whole_items = [], []
        for name, items in fields.items():
            fs = spec.fields.get(name)
            if fs is None or (allowed and name not in allowed) or not items or fs.max_chars < need:
                continue
            for i in range(len(items) - 1, -1, -1):
                if (name, i) in used:
                    continue
                room = fs.max_chars - char_length(items[i], wide_counts_double=wide)
                if body_for(items[i], fs.max_chars, need) is not None:
                    out.append(((fs.max_chars, room, i), name, i, fs.max_chars))
                elif len(items) > 1:
                    whole_items.append(((fs.max_chars, room, i), name, i, fs.max_chars))
        return sorted(out, reverse=True) or sorted(whole_items, reverse=True)

    def put(name: str, i: int, limit: int, suffix: str) -> None:
        before = fields[name][i]
        need = char_length(suffix, wide_counts_double=wide)
        body = (body_for(before, limit, need) or "").rstrip()
        if body and body[-1] not in ".!?" and char_length(body, wide_counts_double=wide) + need + 2 <= limit:
            body += "."
        fields[name][i] = f"{body} {suffix}".strip()
        log.append({"field": name, "index": i, "before": before, "after": fields[name][i]})

    texts = list(dict.fromkeys(t for t in texts if t))
    together = " ".join(texts)
    best = candidates(char_length(together, wide_counts_double=wide), set())
    if best:
        _, name, i, limit = best[0]
        put(name, i, limit, together)
        return log
    used: set = set()
    for t in texts:
        c = candidates(char_length(t, wide_counts_double=wide), used)
        if c:
            _, name, i, limit = c[0]
            put(name, i, limit, t)
            used.add((name, i))
    return log


def repair_fields(fields: dict[str, list[str]], violations: list[dict], state, knowledge=None,
                  *, pool: dict[str, list[str]] | None = None, recheck=None) -> tuple[dict, list[dict]]:
    """Apply every deterministic fix the violations allow. Returns (new fields, repair log).

    `pool` holds this variant's own clean alternatives (its selection runners-up and earlier drafts, never another
    variant's lines), field -> texts, to replace a line no repair can fix and to fill duplicates or missing items;
    `recheck(fields) -> violations` accepts an alternative only when it lowers the hard-violation count.
    """
    spec = channel_of(state, knowledge)
    wide = spec.wide_chars_count_double
    fields = {k: list(v) for k, v in fields.items()}
    log: list[dict] = []
    hard = [v for v in violations if v["severity"] == "error"]
    rules = rules_by_id(state, knowledge)
    # 1. Rulebook substitutions and casing, item by item, kept only when the line still reads.
    by_item: dict[tuple[str, int], list[dict]] = {}
    removals: list[dict] = []
    for v in hard:
        rule = rules.get(v["rule_id"])
        if rule is not None and rule.type == "required" and v.get("suggestion"):
            continue  # placed in step 4
        elif rule is not None and rule.type == "claim":
            removals.append(v)
        elif rule is not None and rule.type != "length":  # a length rule's suggestion is a word-boundary cut

            by_item.setdefault((v["field"], v["index"]), []).append(v)
    changed: set[tuple[str, int]] = set()
    for (field, i), vs in by_item.items():
        if field in fields and i < len(fields[field]):
            before = fields[field][i]
            after = knowledge.repair(before, [Violation.model_validate(v) for v in vs])
            if after != before and (reads_whole(after) or not reads_whole(before)):
                fields[field][i] = after
                changed.add((field, i))
                log.append({"rule_id": ",".join(sorted({v["rule_id"] for v in vs})), "field": field, "index": i,
                            "before": before, "after": after})
    # 2. The brief's forbidden words and unbacked claims ('best', 'faster'): the whole phrase holding them goes
    #    when it is a separate part of the line and the rest reads; otherwise the line waits for an alternative.
    #    Right to left, so offsets stay valid.
    removals += [v for v in hard if v["rule_id"] == "brief.forbidden_word"]
    for v in sorted(removals, key=lambda v: (v["field"], v["index"], -v["start"])):
        items = fields.get(v["field"], [])
        if (v["field"], v["index"]) in changed:  # offsets are stale; the next repair pass sees fresh ones
            continue
        if v["index"] < len(items) and v["end"] <= len(items[v["index"]]):
            before = items[v["index"]]
            after = remove_phrase(before, v["start"], v["end"])
            if after is None:
                continue
            items[v["index"]] = after
            changed.add((v["field"], v["index"]))
            log.append({"rule_id": v["rule_id"], "field": v["field"], "index": v["index"], "before": before,
                        "after": after})
    # 3. An over-long item keeps its whole sentences or phrases that fit, never a cut phrase.
    for name, items in fields.items():
        fs = spec.fields.get(name)
        for i, text in enumerate(items if fs else []):
            after = trim_whole(text, fs.max_chars, wide_counts_double=wide)
            if after is not None and after != text:
                items[i] = after
                log.append({"rule_id": "channel.length", "field": name, "index": i, "before": text, "after": after})
    # 4. Required texts (disclaimers), placed last so nothing cuts them.
    log.extend({"rule_id": "required", **entry} for entry in _place_again(fields, hard, rules, spec))
    # 5. Lines still broken, duplicates and missing items: the variant's own clean alternatives.
    if pool and recheck is not None:
        _replace_from_pool(fields, pool, spec, recheck, log)
        _fill_from_pool(fields, pool, spec, recheck, log)
    # 6. A line still broken in a field that holds more than the channel's minimum is dropped (an RSA with 9
    #    clean headlines, not a failed one with 10).
    if recheck is not None:
        _drop_broken(fields, spec, recheck, log, replace=lambda trial, found: _place_again(trial, found, rules, spec))
    return fields, log


REPLACE_PASSES = 3


def _place_again(fields: dict, found: list[dict], rules: dict, spec) -> list[dict]:
    """Place the required texts (disclaimers) that ``found`` asks for, each in its rule's fields; the placement
    log."""
    by_fields: dict[str, list[str]] = {}
    for x in found:
        rule = rules.get(x["rule_id"])
        if x["severity"] == "error" and x.get("suggestion") and rule is not None and rule.type == "required":
            by_fields.setdefault(",".join(rule.params.get("in_fields") or []), []).append(x["suggestion"])
    return [e for allowed, texts in by_fields.items()
            for e in place_required(fields, texts, allowed.split(",") if allowed else [], spec)]


def _drop_broken(fields, spec, recheck, log, which=lambda x: x["severity"] == "error", replace=None) -> None:
    """Drop each line with a violation ``which`` selects (hard ones by default), last first, while its field keeps
    the channel's minimum, the drop lowers the count of those violations and adds no hard one. ``replace``
    (fields, violations) places again a required text the dropped line carried."""
    found = recheck(fields)
    current, hard = sum(map(which, found)), hard_count(found)
    broken = sorted({(x["field"], x["index"]) for x in found if which(x)
                     and x["field"] in fields and x["index"] < len(fields[x["field"]])}, reverse=True)
    for name, i in broken:
        fs = spec.fields.get(name)
        if fs is None or len(fields[name]) <= max(fs.min_count, 1):
            continue
        trial = {k: list(v) for k, v in fields.items()}
        before = trial[name].pop(i)
        after, placed = recheck(trial), []
        for _ in range(REPLACE_PASSES if replace is not None else 0):  # the disclaimer the dropped line carried,
            more = replace(trial, after)  # placed in another (whose own disclaimer may need a place in turn)
            if not more:
                break
            placed, after = placed + more, recheck(trial)
        if sum(map(which, after)) < current and hard_count(after) <= hard:
            fields.clear()
            fields.update(trial)
            current, hard = sum(map(which, after)), hard_count(after)
            log.append({"rule_id": "dropped", "field": name, "index": i, "before": before, "after": ""})
            log.extend({"rule_id": "required", **e} for e in placed)


def drop_lint_lines(fields: dict[str, list[str]], state, knowledge, recheck) -> tuple[dict, list[dict]]:
    """A clean variant without its lines that lint flags (dangling, repeated word, filler, a disclaimer alone...),
    where the field holds more than the channel's minimum: nine good headlines rather than ten with a fragment. A
    required text the dropped line carried is placed in another. (fields, repair log)."""
    fields, log = {k: list(v) for k, v in fields.items()}, []
    rules, spec = rules_by_id(state, knowledge), channel_of(state, knowledge)
    # a line of nothing but a disclaimer goes, and the disclaimer is placed in another line
    _drop_broken(fields, spec, recheck, log, which=is_lint,
                 replace=lambda trial, found: _place_again(trial, found, rules, spec))
    return fields, log


def _fits(spec, name: str, text: str) -> bool:
    fs = spec.fields.get(name)
    return fs is not None and char_length(text, wide_counts_double=spec.wide_chars_count_double) <= fs.max_chars


def _replace_from_pool(fields, pool, spec, recheck, log) -> None:
    """Replace each line that still breaks a hard rule of its own with the first alternative that lowers the
    hard-violation count."""
    found = recheck(fields)
    current = hard_count(found)
    broken = sorted({(x["field"], x["index"]) for x in found if x["severity"] == "error"
                     and x["field"] in fields and x["index"] < len(fields[x["field"]])})
    for name, i in broken:
        used = {t.casefold() for t in fields[name]}
        for cand in pool.get(name, []):
            if cand.casefold() in used or not _fits(spec, name, cand) or dangling(cand):
                continue
            trial = {k: list(v) for k, v in fields.items()}
            before, trial[name][i] = trial[name][i], cand
            n = hard_count(recheck(trial))
            if n < current:
                fields[name] = trial[name]
                current = n
                log.append({"rule_id": "alternative", "field": name, "index": i, "before": before, "after": cand})
                break


def _fill_from_pool(fields, pool, spec, recheck, log) -> None:
    """Replace duplicates and fill missing items with pooled ones. A gap of several items only closes when all are
    filled, so a filler is kept when it does not add violations; if the whole step does not lower the
    hard-violation count, it is undone."""
    start = current = hard_count(recheck(fields))
    saved, saved_log = {k: list(v) for k, v in fields.items()}, len(log)
    for name, fs in spec.fields.items():
        items = fields.setdefault(name, [])
        seen = {t.casefold() for t in items}
        slots = [i for i, t in enumerate(items) if [x for x in items[:i] if x.casefold() == t.casefold()]]
        slots += list(range(len(items), fs.min_count))
        for slot in slots:
            for cand in pool.get(name, []):
                if cand.casefold() in seen or not _fits(spec, name, cand) or dangling(cand):
                    continue
                trial = {k: list(v) for k, v in fields.items()}
                before = trial[name][slot] if slot < len(trial[name]) else ""
                if slot < len(trial[name]):
                    trial[name][slot] = cand
                else:
                    trial[name].append(cand)
                n = hard_count(recheck(trial))
                if n < current or (not before and n <= current):
                    fields[name] = trial[name]
                    seen.add(cand.casefold())
                    current = n
                    log.append({"rule_id": "channel.duplicate" if before else "channel.count", "field": name,
                                "index": slot, "before": before, "after": cand})
                    break
        if not fields.get(name):
            fields.pop(name, None)
    if current >= start:
        fields.clear()
        fields.update(saved)
        del log[saved_log:]
