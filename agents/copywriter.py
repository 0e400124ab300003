"""Copywriter: drafts variants in the channel's format, and revises only the failing ones.

First drafts are whole ads, one creative angle each, in one batched generation. Revisions work item by item:
each failing line gets two candidates, the first clean one kept: a rewrite with its exact problems (small models
copy a whole previous ad verbatim when shown it) and a line written anew without being shown the old one (greedy
or not, the small model echoes a line it is asked to rewrite); where neither is usable, two are written anew in
the next loop. Missing lines are written anew. Required texts such as disclaimers are placed deterministically.
A variant that fails only on its critic score is drafted afresh with the critic's instructions, without the
rejected text.
"""
from __future__ import annotations
from langgraph.runtime import Runtime

import math
import re


from brandloop.agents.context import Context, context_of, emit
from brandloop import prompts
from brandloop.agents.common import brief_of, brief_text, channel_of, settings_of
from brandloop.agents.formats import ad_pattern, char_cap, lead_pattern, line_format, rewrite_pattern
from brandloop.agents.llm_calls import batch_with_retry, constrains
from brandloop.agents.parsing import parse_fields, parse_line
from brandloop.agents.repairs import place_required, required_texts, rules_by_id, trim_whole
from brandloop.agents.scoring import voice_text
from brandloop.agents.selection import (EXAMPLES_SHOWN, LineSelector, all_examples, candidate_count, examples_for,
                                       own_defect, worked_examples)
from brandloop.agents.tracing import NodeTrace
from brandloop.knowledge.channels import ChannelSpec
from brandloop.knowledge.checks import content_word_set, label, mentions, read_as_repeat
from brandloop.knowledge.lint import unfinished_before_mark
from brandloop.knowledge.text import char_length
from brandloop.knowledge.violations import is_lint
from brandloop.knowledge.words import cut_word

TO_WRITE = ("new", "revise")
VARIANT_LEVEL = ("channel.count", "channel.field", "brief.keyword")
MAX_AVOID = 6
UNSPOKEN = ("channel.count",)  # not shown as a problem to avoid: the pattern sets the count, and a small model
# copies 'headline: 8 of the 10 item(s) asked for' as a headline


def initial_variants(n: int) -> list[dict]:
    angles = prompts.load_data("angles")
    return [{"id": f"v{i + 1}", "angle": angles[i % len(angles)], "status": "new", "fields": {}, "violations": [],
             "score_history": [], "revisions": 0} for i in range(n)]


def example_lines(field: str, max_chars: int, examples=None) -> list[list[str]]:
    """For each worked example shown (a brief's examples_for; default the first two), its lines for this field that
    fit the limit (description lines for unknown fields, a cut headline when nothing fits)."""
    out = []
    for ex in examples or all_examples()[:EXAMPLES_SHOWN]:
        lines = [t for t in ex["lines"].get(field, ex["lines"]["description"]) if len(t) <= max_chars]
        out.append(lines or [ex["lines"]["headline"][0][:max_chars]])
    return out


def prompt_fields(drafted: dict, count=candidate_count, examples=None) -> list[dict]:
    """The copywriter prompt's `fields`: label, lines to write, limit, words and worked-example lines per field."""
    out = []
    for name, f in drafted.items():
        ex = example_lines(name, f.max_chars, examples)
        out.append({"label": label(name), "count": count(f), "max_chars": f.max_chars, "words": words_for(f.max_chars),
                    "examples": ex, "shot_count": max(1, min(count(f), *(len(x) for x in ex)))})
    return out


def words_for(max_chars: int) -> int:
    """Words to ask for: few enough that a line ends before its limit (asked for about 4 words in 30 characters,
    the 0.5B model ran 40 of 133 whole-draft headlines into the limit in the 9-brief eval)."""
    return max(2, round(max_chars / 9))


def item_tokens(max_chars: int) -> int:
    """Token budget for one line of `max_chars` characters: enough to finish it, not enough to run on."""
    return math.ceil(max_chars / 3) + 8


def _item_problems(v: dict, rules: dict) -> dict[tuple[str, int], list[str]]:
    """Item -> problem messages (hard first) that a rewrite of that one line can fix."""
    out: dict[tuple[str, int], list[str]] = {}
    for x in sorted(v.get("violations", []), key=lambda x: x["severity"] != "error"):
        rule = rules.get(x["rule_id"])
        if x["rule_id"] in VARIANT_LEVEL or (rule is not None and rule.type == "required"):
            continue
        if x["field"] in v["fields"] and x["index"] < len(v["fields"][x["field"]]):
            msg = x["message"] + (f" (use: {x['suggestion']})" if x.get("suggestion") else "")
            out.setdefault((x["field"], x["index"]), []).append(msg)
    return out


LONG_FIELD = 60  # fields of several sentences (descriptions, body text)
NEAR_CAP = 12  # characters short of the cap where the next word may not have fitted
_SENTENCE_END = re.compile(r"[.!?](?=\s)")


def whole_sentences(text: str) -> str:
    """``text`` without an unfinished last sentence: one without an end mark after sentences that have one
    ('... SOC 2 Type II certified, and has a month-end')."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if not ends or text.rstrip()[-1:] in (".", "!", "?") or len(text[ends[-1]:].split()) < 4:
        return text  # a short closing phrase without a mark is a call to action ('Member FDIC. Open today')
    return text[:ends[-1]].rstrip()


def uncut(spec: ChannelSpec, field: str, text: str, source: str, own: list[str] = ()) -> str:
    """A constrained line that reached its pattern's cap (or stopped inside a word just short of it) was cut there:
    keep its whole sentences or phrases before the cut, a prepositional phrase included ('Savings Plan' from
    'Savings Plan for Young Saver W'), or nothing (never a cut phrase such as 'Savings Plan for Young'). A line the
    engine closed with an end mark keeps only whole sentences or phrases between separators: 'Do you want to save'
    from 'Do you want to save for a new?' would still ask a question."""
    f = spec.fields.get(field)
    if f is None:
        return text
    cap = char_cap(spec, f, line_format(source, f))
    closed = text.rstrip()[-1:] in (".", "!", "?")

    def back(prepositions: bool = True) -> str:  # the line without its cut part, or nothing
        return trim_whole(text, char_length(text) - 1, before_prepositions=prepositions) or ""

    if char_length(text) >= cap - (1 if closed else NEAR_CAP) and unfinished_before_mark(text):
        # the engine closed it at the cap ('save for a new?'), or the next word did not fit ('offer a warm')
        return back(prepositions=not closed)
    if text.rstrip()[-1:] in ("!", "?"):
        return text
    if cut_word(text, cap, [source, *own]):  # stopped inside a word: 'High Calor', 'with Northw.', 'Pacific Co'
        return back()
    if char_length(text) < cap:  # the next token may not have fitted: one letter of a word is left ('Cocoa N')
        last = text.split()[-1] if len(text.split()) > 1 else ""
        cut = len(last) == 1 and last.isalpha() and last not in "aAI" and char_length(text) >= cap - 4
        if cut:
            return back()
        return whole_sentences(text) if cap >= LONG_FIELD and char_length(text) >= cap - NEAR_CAP else text
    if text.endswith(".") and not text[-2:-1].isdigit():
        return text  # a sentence that ends exactly at the cap
    return back()


def new_line_prompt(brief, field: str, spec: ChannelSpec, k: int = 0, angle: str = "", include: str = ""):
    """A one-line prompt for an item the drafts left missing: a new line built on one of the brief's texts, in the
    variant's angle. The k-th missing line of the run starts from the k-th of the brief's texts (key message, facts,
    description; not the goal, which is no copy), so the lines of one batch differ. The variant's other lines are
    not shown: a small model copies them. ``include``: a brief keyword the line must use."""
    limit = spec.fields[field].max_chars if field in spec.fields else 90
    seeds = [t for t in (brief.key_message, *brief.product.facts, brief.product.description) if t]
    seeds = seeds or [brief.product.name]
    return prompts.render("new_line", brand=brief.brand, product=brief.product, audience=brief.audience,
                          field_label=label(field), max_chars=limit, words=words_for(limit), seed=seeds[k % len(seeds)],
                          angle=angle, examples=examples_for(brief), include=include)


def keyword_line(v: dict, spec: ChannelSpec, term: str, problems: dict) -> tuple[str, int] | None:
    """The line of ``v`` to say a missing brief keyword in: one with room for it (a line without problems first),
    in the field with the most room; None where no line has room."""
    need, drafted = char_length(term) + 1, spec.drafted_fields()
    room = [((f, i) not in problems, spec.fields[f].max_chars - char_length(t), f, i)
            for f, items in v["fields"].items() if f in drafted for i, t in enumerate(items)]
    fits = [r for r in room if r[1] >= need]
    return max(fits)[2:] if fits else None


def brief_line_with(brief, term: str, usable) -> str | None:
    """The brief's own line that says ``term`` (the key message, then a fact, then the description), where
    ``usable(line)`` allows it: a keyword the model would not write is said in the marketer's words."""
    for plain in (brief.key_message, *brief.product.facts, brief.product.description):
        if plain and mentions(term, plain) and usable(plain):
            return plain
    return None


def floor_of(spec: ChannelSpec, field: str) -> int:
    return spec.fields[field].min_count if field in spec.fields else 0


def repeats_sibling_line(spec: ChannelSpec, field: str, text: str, others: list[str]) -> str | None:
    """Why ``text`` would read as a repeat of another line of its field shown beside it (search headlines
    'No Monthly Fee' and 'Savings, No Monthly Fee'), or None."""
    fs = spec.fields.get(field)
    if fs is None or not fs.unique or fs.max_count < 2:
        return None
    mine = content_word_set(text)
    for o in others:
        if shared := read_as_repeat(mine, content_word_set(o)):
            return f"repeats the words {sorted(shared)} of {o!r}, shown beside it"
    return None


def brief_anchors(brief, rules: dict, facts: list[str] = ()) -> list[str]:
    """The brief's texts a line may be about: the product, the key message, the audience, each fact (the brief's,
    the rulebook's and the materials', with the product's name), and the rulebook's required texts (disclaimers)."""
    name = brief.product.name
    required = required_texts(rules.values())
    return [f"{name}. {brief.product.description}", brief.key_message, *(f"{name} for {a}" for a in brief.audience),
            *(f"{name}: {f}" for f in [*brief.product.facts, *facts]), *required]


def _line_problems(state, knowledge, rules: dict):
    """(field, line) -> the hard problems of that line alone (not those of the whole ad: counts, keywords,
    required texts), and its lint hits with ``lint=True``."""
    from brandloop.agents.compliance import check_variant

    def problems(field: str, line: str, lint: bool = False) -> list[str]:
        found = check_variant({field: [line]}, state, knowledge)
        return [x.message for x in found if (x.severity == "error" or (lint and is_lint(x)))
                and x.rule_id not in VARIANT_LEVEL and getattr(rules.get(x.rule_id), "type", "") != "required"]

    return problems


def approved_ads(knowledge, brief, spec: ChannelSpec, k: int = 2) -> list[str]:
    """Lines of the brand's nearest approved ads of this product, one per entry ('headline: ...'): each line on its
    own, so no joining mark (' / ') is taken for part of the copy."""
    if knowledge is None or not hasattr(knowledge, "exemplars_for"):
        return []
    ads = knowledge.exemplars_for(" ".join([brief.key_message, brief.product.name, brief.product.description]),
                                  brief.channel, brief.audience, k=k, product=brief.product.name)
    return [f"{label(f).lower()}: {t}" for ad in ads for f, items in ad.fields.items() if f in spec.fields
            for t in items[:2]]


def copywriter(state, runtime: Runtime[Context]) -> dict:
    """The context's knowledge (optional BrandKnowledge) supplies rule types and channel overrides."""
    ctx = context_of(runtime, state)
    llm, knowledge = ctx.llm, ctx.knowledge
    brief, settings = brief_of(state), settings_of(state)
    spec = channel_of(state, knowledge)
    rules = rules_by_id(state, knowledge)
    loop = state.get("revision", 0)
    variants = [dict(v) for v in (state.get("variants") or initial_variants(settings.variants or brief.variants))]
    targets = [v for v in variants if v["status"] in TO_WRITE]
    trace = NodeTrace("copywriter", loop, {"write": [v["id"] for v in targets], "keep": [
        v["id"] for v in variants if v["status"] not in TO_WRITE]})
    drafted = spec.drafted_fields()
    single = settings.single_shot  # the eval baseline: the ad's own counts, nothing to choose from
    count = (lambda f: f.draft) if single else candidate_count
    facts = state.get("facts", [])
    shown = examples_for(brief)  # the two worked examples farthest from the brief's product
    common = dict(examples=shown, brand=brief.brand, channel_title=spec.title, product=brief.product, audience=brief.audience,
                  goal=brief.goal, tone=brief.tone, key_message=brief.key_message, keywords=brief.keywords,
                  forbidden=brief.forbidden_words, facts=facts,
                  material_summaries=[m["summary"] for m in state.get("materials", []) if m.get("summary")],
                  rules=state.get("rules_summary", []), approved=approved_ads(knowledge, brief, spec),
                  fields=prompt_fields(drafted, count, shown))
    whole, items = [], []  # (variant, prompt) and (variant, field, index, prompt)
    anew: set[int] = set()  # items positions: a failing line written anew, not rewritten
    alt: dict[int, tuple] = {}  # items position -> the failing line it is a candidate replacement for
    must: dict[tuple, str] = {}  # (variant, field, index) -> a brief keyword its replacement must use
    slot: dict[int, tuple] = {}  # items position -> the missing line it is a candidate for
    leads: dict[int, str] = {}  # items position -> the brief keyword its line is made to start with
    for v in targets:
        problems = _item_problems(v, rules) if v["status"] == "revise" else {}
        short = {f: n.draft - len(v["fields"].get(f, [])) for f, n in drafted.items()
                 if v["status"] == "revise" and len(v["fields"].get(f, [])) < n.draft}  # lines still missing
        unsaid = [k for k in brief.keywords if v["status"] == "revise" and v["fields"]
                  and not mentions(k, "\n".join(t for x in v["fields"].values() for t in x))][:1]
        if unsaid and (place := keyword_line(v, spec, unsaid[0], problems)):  # a line to say the keyword in;
            if place not in problems:  # a failing line is asked for it but not held to it: a soft keyword never
                must[(v["id"], *place)] = unsaid[0]  # blocks the fix of a hard problem
            ask = prompts.render_text("rewrite", "use_keyword", keyword=unsaid[0])
            problems = {**problems, place: [*problems.get(place, []), ask]}
        if v["status"] == "revise" and (problems or short):
            stuck = {(f, i) for f, i, *_ in v.get("stuck") or []}  # by place: a disclaimer placed since changes the text
            for (field, i), msgs in problems.items():
                fs = spec.fields[field] if field in spec.fields else None
                limit = fs.max_chars if fs else 90
                claims = any("claim" in m.lower() for m in msgs)
                # two candidates, the first usable one kept: the line rewritten with its problems and one written
                # anew; where last loop's rewrite of it was unusable (echoed, empty), two written anew
                if (field, i) not in stuck:
                    alt[len(items)] = (v["id"], field, i)
                    items.append((v, field, i, prompts.render(
                        "rewrite", brand=brief.brand, product=brief.product, field_label=label(field),
                        max_chars=limit, words=max(2, words_for(limit) - (loop - 1)), text=v["fields"][field][i],
                        problems=msgs, facts=facts[:6] if claims else [])))
                for seed in ((loop + i,) if (field, i) not in stuck else (loop + i, loop + i + 1)):
                    if seed == loop + i and (v["id"], field, i) in must:  # one candidate starts with the keyword
                        leads[len(items)] = must[(v["id"], field, i)]
                    alt[len(items)] = (v["id"], field, i)
                    anew.add(len(items))
                    items.append((v, field, i, new_line_prompt(brief, field, spec, seed, v.get("angle", ""),
                                                               must.get((v["id"], field, i), ""))))
            for field, n in short.items():  # a variant short of lines keeps the ones it has: the rest are new
                have, base = len(v["fields"].get(field, [])), len(items)
                for k in range(n):
                    for seed in (base + 2 * k, base + 2 * k + 1):
                        slot[len(items)] = (v["id"], field, k)
                        items.append((v, field, have + k, new_line_prompt(brief, field, spec, seed, v.get("angle", ""))))
        elif v["status"] == "revise" and (v.get("versions") or [{}])[-1].get("passed"):
            v["status"] = "passed"  # approved, kept on for a keyword with no line to say it in: not redrafted
        else:
            unspoken = tuple(x["message"] for x in v.get("violations", []) if x["rule_id"] in UNSPOKEN)
            avoid = list(dict.fromkeys(
                [x["message"] for x in v.get("violations", []) if x["rule_id"] not in UNSPOKEN]
                + [i for i in v.get("instructions", []) if not any(i.startswith(u) for u in unspoken)]
            ))[:MAX_AVOID] if v["status"] == "revise" else []
            whole.append((v, prompts.render("copywriter", angle=v["angle"], avoid=avoid, **common)))
    wanted = {n: count(f) for n, f in drafted.items()}
    budget = min(settings.max_new_tokens, sum(count(f) * (6 + item_tokens(f.max_chars)) for f in drafted.values()))
    examples = {t for f in common["fields"] for lines in f["examples"] for t in lines}
    sampling = {"temperature": settings.temperature, "seed": settings.seed + loop} if settings.temperature else {}
    source = brief_text(brief)
    own = [*brief.product.facts, *brief.keywords, *state.get("facts", [])]  # words a line may end in, whole
    drafts = batch_with_retry(llm, [v["id"] for v, _ in whole], [p for _, p in whole],
                              lambda raw: parse_fields(raw, wanted, examples, {n: f.draft for n, f in drafted.items()}),
                              trace, max_new_tokens=budget,
                              patterns=None if single else [ad_pattern(spec, source, wanted)] * len(whole),
                              **sampling, **({"frequency_penalty": settings.frequency_penalty}
                                             if settings.frequency_penalty else {}))
    if constrains(llm) and not single:
        drafts = [({k: [uncut(spec, k, t, source, own) for t in x] for k, x in fields.items()} if fields else fields,
                   problems) for fields, problems in drafts]
    example_texts = [*worked_examples(shown), spec.title]  # the prompt's own words are no copy either
    drafting = {v["id"] for v, _ in whole}
    taken: dict[str, list[str]] = {}
    for v in variants:
        if v["id"] not in drafting:
            for k, x in v.get("fields", {}).items():
                taken.setdefault(k, []).extend(x)
    selector = LineSelector(spec, source, brief.keywords, example_texts, _line_problems(state, knowledge, rules),
                            taken=taken, copies=getattr(knowledge, "copies_exemplar", None),
                            voice=voice_text(brief, knowledge),
                            anchors=brief_anchors(brief, rules, [*state.get("facts", []), *(
                                f["statement"] for m in state.get("materials", []) for f in m.get("facts", []))]))
    selection = {}
    earlier: dict[str, dict] = {}  # a redrafted variant's lines before this draft
    for (v, _), (fields, problems) in zip(whole, drafts):
        wrote = bool(fields) and any(fields.values())  # the reply had lines, usable or not
        if wrote and not single:
            fields, selection[v["id"]] = selector.pick(fields)
            v["runners_up"] = {f: r["runners_up"] for f, r in selection[v["id"]].items()}
        if v["status"] == "revise":
            v["revisions"] = v.get("revisions", 0) + 1
        if problems and not wrote:
            if v["status"] == "new":
                v.update(status="parse_failed", error="model reply could not be parsed twice: " + "; ".join(problems))
            else:
                v.update(status="drafted", error="revision reply could not be parsed; kept the previous draft")
            continue
        if v["id"] in selection:  # the picked lines; a gap is written anew, the variant's earlier line its fallback
            earlier[v["id"]] = v["fields"]
            v.update(fields={k: x for k, x in fields.items() if x}, status="drafted", error="")
        else:
            v.update(fields={k: x for k, x in fields.items() if x} or v["fields"], status="drafted", error="")
        for field, picked in selection.get(v["id"], {}).items():  # too few usable lines: write the rest anew,
            gaps = len(items)  # two candidates per missing line, from different brief texts (a running offset:
            for k in range(picked["missing"]):  # variants start from different ones); the first usable one is kept
                for seed in (gaps + 2 * k, gaps + 2 * k + 1):
                    slot[len(items)] = (v["id"], field, k)
                    items.append((v, field, len(v["fields"].get(field, [])) + k, new_line_prompt(
                        brief, field, spec, seed, v.get("angle", ""))))
    longest = max((spec.fields[f].max_chars for _, f, _, _ in items if f in spec.fields), default=90)
    lines = batch_with_retry(llm, [f"{v['id']}.{f}.{i + 1}" for v, f, i, _ in items], [p for *_, p in items],
                             parse_line, trace, max_new_tokens=min(settings.max_new_tokens, item_tokens(longest)),
                             stop=["\n"], patterns=[lead_pattern(spec, f, source, leads[n]) if n in leads else
                                                     rewrite_pattern(spec, f, source)
                                                     for n, (_, f, _, _) in enumerate(items)],
                             **({**sampling, "seed": sampling["seed"] + 100} if sampling else {}))
    if constrains(llm) and not single:
        lines = [(uncut(spec, f, text, source, own) if text else text, problems)
                 for (_, f, _, _), (text, problems) in zip(items, lines)]
    rewritten: dict[str, dict] = {}
    rejected = {}
    stuck: dict[str, list] = {}  # variant -> [field, index, line] whose rewrite was unusable: next loop, anew
    filled: set[tuple] = set()  # missing lines and failing lines a candidate was kept for
    for n, ((v, field, i, _), (text, problems)) in enumerate(zip(items, lines)):
        if (slot.get(n) or alt.get(n)) in filled:
            continue  # its other candidate was kept
        fields = rewritten.setdefault(v["id"], {k: list(x) for k, x in v["fields"].items()})
        mine = fields.setdefault(field, [])
        reason = (own_defect(text, example_texts, selector.copies) or selector.off_brief(text)) if text else None
        others = {t.casefold() for j, t in enumerate(mine) if j != i}
        before = v["fields"].get(field, [])[i] if n not in slot and i < len(v["fields"].get(field, [])) else None
        if text and not reason and before is not None and text.casefold() == before.casefold():
            reason = "left the line unchanged"
        elif text and not reason and (text.casefold() in others or selector.used(text, replacing=before)):
            reason = "repeats a line of this or another variant"
        if text and not reason and (n in slot or n in alt):  # a new or replacing line must be clean on its own,
            reason = "; ".join(selector.problems(field, text, lint=True)) or None  # lint included
        if text and not reason and n in alt and alt[n] in must and not mentions(must[alt[n]], text):
            reason = f"does not use the keyword '{must[alt[n]]}'"
        if text and not reason and (n in alt or (n in slot and len(mine) >= floor_of(spec, field))):
            reason = repeats_sibling_line(spec, field, text, [t for j, t in enumerate(mine) if j != i])
        if not problems and text and not reason:
            if i < len(mine):
                mine[i] = text
            else:
                mine.append(text)
            selector.take(field, text)
            if n in slot or n in alt:
                filled.add(slot.get(n) or alt[n])
        else:
            reason = reason or ("; ".join(problems) if problems else "came back empty (cut at its limit)")
            rejected[f"{v['id']}.{field}.{i + 1}" + (f"#{n}" if n in slot or n in anew else "")] = f"{text!r}: {reason}"
            if before is not None:
                stuck.setdefault(v["id"], []).append([field, i, before])

    def stands_in(field: str, plain: str, replacing: str | None = None) -> bool:
        """One of the brief's own lines can take a line's place: it fits, no variant has it, it copies no worked
        example and it is clean."""
        return (char_length(plain) <= spec.fields[field].max_chars and not selector.used(plain, replacing=replacing)
                and not own_defect(plain, example_texts, selector.copies)
                and not selector.problems(field, plain, lint=True))

    by_id, said = {v["id"]: v for v in targets}, {}
    for (vid, field, i), term in must.items():  # no candidate used the keyword: the brief's own line that does
        fields = rewritten.setdefault(vid, {k: list(x) for k, x in by_id[vid]["fields"].items()})
        if (vid, field, i) in filled or mentions(term, "\n".join(t for x in fields.values() for t in x)):
            continue
        others = [t for j, t in enumerate(fields[field]) if j != i]
        plain = brief_line_with(brief, term, lambda t: stands_in(field, t, replacing=fields[field][i]) and not (
            t.casefold() in {o.casefold() for o in others} or repeats_sibling_line(spec, field, t, others)))
        if plain:
            fields[field][i] = plain
            selector.take(field, plain)
            filled.add((vid, field, i))
            said[f"{vid}.{field}.{i + 1}"] = plain
    for v in targets:  # a line none of whose candidates was kept is written anew next loop
        v["stuck"] = [x for x in stuck.get(v["id"], []) if (v["id"], x[0], x[1]) not in filled]
        if v["id"] in rewritten:
            v.update(fields={k: x for k, x in rewritten[v["id"]].items() if x}, status="drafted", error="")
            if v["id"] not in drafting:  # a whole draft counted its revision above
                v["revisions"] = v.get("revisions", 0) + 1
        if v["status"] != "drafted":
            continue
        for field in drafted:  # new lines failed: up to the channel's minimum, the variant's earlier line, else the
            have = v["fields"].setdefault(field, [])  # product's name or one of its facts, else a sibling's
            floor = floor_of(spec, field)
            own = [t for t in earlier.get(v["id"], {}).get(field, []) if t.casefold() not in {x.casefold() for x in have}]
            have += own[:max(0, floor - len(have))]
            for plain in [brief.product.name, *brief.product.facts]:  # 'Harbor Night Porter' for a Meta headline
                if len(have) >= floor:
                    break
                if stands_in(field, plain):
                    have.append(plain)
                    selector.take(field, plain)
            picked = selection.get(v["id"], {}).get(field, {})
            spare = [t for t in picked.get("siblings", []) if t.casefold() not in {x.casefold() for x in have}]
            best = sorted(spare, key=lambda t: -selector.quality(field, t))[:max(0, floor - len(have))]
            have += sorted(best, key=spare.index)
            if not have:
                v["fields"].pop(field)
    for v in targets:
        if v["status"] != "drafted":
            continue
        for field, source in spec.brief_fields().items():  # a business name is the brand's, in every variant
            v["fields"][field] = [getattr(brief, source)]
        if loop > 0:  # required texts (disclaimers) the last check asked for are placed exactly, not by the model
            texts = [x["suggestion"] for x in v.get("violations", []) if x.get("suggestion") and
                     getattr(rules.get(x["rule_id"]), "type", "") == "required"]
            if texts:
                place_required(v["fields"], texts, [], spec)
    trace.set(output={v["id"]: v["fields"] for v in targets}, selection=selection, rejected_rewrites=rejected,
              keyword_from_brief=said)
    emit(runtime, trace)
    return {"variants": variants, "revision": loop}
