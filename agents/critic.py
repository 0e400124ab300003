"""Critic: scores each freshly written variant and writes revision instructions, citing guideline ids."""
from __future__ import annotations
from langgraph.runtime import Runtime

import re


from brandloop.agents.context import Context, context_of, emit
from brandloop import prompts
from brandloop.agents.common import brief_of, brief_text, channel_of, labelled, settings_of
from brandloop.agents.formats import critique_pattern
from brandloop.agents.llm_calls import batch_with_retry
from brandloop.agents.parsing import parse_critique
from brandloop.agents.repairs import required_texts, rules_in_force
from brandloop.agents.scoring import combine_score, delivery_status, measure_set, voice_text
from brandloop.agents.selection import shared_phrase, worked_examples
from brandloop.agents.tracing import NodeTrace
from brandloop.knowledge.checks import label
from brandloop.knowledge.violations import hard_count


def _gist(passage: str, limit: int = 160) -> str:
    """A guideline passage without its markdown heading, cut at a sentence end: short enough for a small model."""
    lines = [ln for ln in passage.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    text = " ".join(" ".join(lines).split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(". ") + 1] if ". " in cut else cut.rsplit(" ", 1)[0]


def _flat(fields: dict[str, list[str]]) -> str:
    return "\n".join(t for items in fields.values() for t in items)


def carried_by_design(brief, knowledge=None) -> list[str]:
    """Texts every variant of a run is asked to carry: the brand's and the product's names, the required texts
    (disclaimers) of the rules in force."""
    return [brief.brand, brief.product.name, *required_texts(rules_in_force(brief, knowledge))]


def set_metrics(state, variants: list[dict], knowledge=None) -> dict:
    """Measured scores for every variant that has text, judged against the brief and the brand voice."""
    brief = brief_of(state)
    with_text = [v for v in variants if v.get("fields")]
    brief_text = " ".join([brief.product.name, brief.product.description, brief.key_message, brief.goal,
                           *brief.product.facts])
    m = measure_set([_flat(v["fields"]) for v in with_text], brief_text, voice_text(brief, knowledge),
                    carried_by_design(brief, knowledge))
    return {"per_variant": {v["id"]: x for v, x in zip(with_text, m["per_variant"])},
            "distinct_2": m["distinct_2"], "max_pairwise_cosine": m["max_pairwise_cosine"]}


_QUOTED = re.compile(r"[\"“‘']([^\"”’']{4,})[\"”’']")


def _field_names() -> list[str]:
    """Every field name of every channel, longest label first ('card headline' before 'headline')."""
    from brandloop.knowledge.channels import channel_table

    names = {n for spec in channel_table().values() for n in spec.fields}
    return sorted(names, key=lambda n: -len(label(n)))


def _mention(name: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(label(name).lower())}s?(?:\s+(\d+))?(?![\w-])", re.I)


def named_items(instruction: str, fields: dict[str, list[str]]) -> list[tuple[str, int | None, re.Match]]:
    """The fields (and item numbers, 0-based) an instruction names: 'headline 2' -> ('headline', 1)."""
    out, taken = [], []
    for name in _field_names():
        for m in _mention(name).finditer(instruction):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue  # inside a longer label already found ('card headline')
            taken.append(m.span())
            out.append((name, int(m.group(1)) - 1 if m.group(1) else None, m))
    return sorted(out, key=lambda x: x[2].start())


def quoted_item(instruction: str, fields: dict[str, list[str]]) -> tuple[str, int] | None:
    """The line an instruction quotes ('... in "Earn 4.10% APY" ...'), as (field, index), or None."""
    for q in _QUOTED.findall(instruction):
        for name, items in fields.items():
            for i, text in enumerate(items):
                if q.strip().casefold() in text.casefold():
                    return name, i
    return None


def name_right_field(instruction: str, fields: dict[str, list[str]]) -> str | None:
    """The instruction with the field it names corrected to the one its quoted line belongs to; None when it names
    a field or item this variant does not have and quotes none of its lines (it can't be followed)."""
    named = named_items(instruction, fields)
    quoted = quoted_item(instruction, fields)
    if quoted is not None:
        name, i = quoted
        right = f"{label(name).lower()} {i + 1}" if len(fields[name]) > 1 else label(name).lower()
        for wrong, _, m in reversed(named):
            if wrong != name or (m.group(1) and int(m.group(1)) - 1 != i):
                instruction = instruction[:m.start()] + right + instruction[m.end():]
        return instruction
    for name, i, _ in named:
        if name not in fields or (i is not None and not 0 <= i < len(fields[name])):
            return None
    return instruction


def target_of(instruction: str, fields: dict[str, list[str]]) -> tuple[str, int | None] | None:
    """The field (and item) an instruction is about: its quoted line, else the first field it names; None: the ad."""
    if (q := quoted_item(instruction, fields)) is not None:
        return q
    named = [(n, i) for n, i, _ in named_items(instruction, fields) if n in fields]
    return named[0] if named else None


def _text_of(fields: dict[str, list[str]], target: tuple[str, int | None] | None):
    if target is None:
        return fields
    name, i = target
    items = fields.get(name, [])
    return items if i is None else (items[i] if i < len(items) else None)


def unheeded(v: dict) -> list[str]:
    """The last critique's instructions that left their line unchanged (the same field, or the same ad when they
    name none): giving them again would not change it either."""
    versions = v.get("versions") or []
    if not versions:
        return []
    prev = versions[-1]
    given = prev.get("fixes", (prev.get("parsed") or {}).get("instructions")) or []
    return [x for x in given
            if _text_of(prev["fields"], t := target_of(x, prev["fields"])) == _text_of(v["fields"], t)]


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


REVISABLE = ("channel.count", "brief.keyword")  # soft, and fixed line by line: missing lines, a missing keyword
ECHO_WORDS = 5  # content words in a row that a critique shares with a guideline passage: restated, not applied
EXAMPLE_ECHO_WORDS = 4  # ... or with the prompt's worked review ('the description could name who it is for')


def echoed(sentence: str, passages: list[dict]) -> str | None:
    """What ``sentence`` restates instead of reviewing the ad: the short id (G1..) of a guideline passage
    ('Comparisons with other banks need a dated, sourced study' where the ad compares nothing), 'the worked
    example' (the prompt's own sample review), or None."""
    if not sentence:
        return None
    for n, p in enumerate(passages):
        if shared_phrase(sentence, [_gist(p["text"])], n=ECHO_WORDS):
            return f"G{n + 1}"
    if shared_phrase(sentence, list(worked_examples()), n=EXAMPLE_ECHO_WORDS):
        return "the worked example"
    return None


def _what(echo: str) -> str:
    return f"guideline {echo}" if echo.startswith("G") else echo


def said(parsed: dict | None) -> list[str]:
    """A parsed critique's sentences: the critique and its fixes."""
    return [(parsed or {}).get("critique", ""), *(parsed or {}).get("instructions", [])]


def findings_of(violations: list[dict]) -> list[str]:
    out = []
    for v in sorted(violations, key=lambda x: x["severity"] != "error"):
        text = v["message"]
        if v.get("suggestion"):
            text += f" (use: {v['suggestion']})"
        out.append(text)
    return out


def fixes(parsed: dict, fields: dict[str, list[str]], unheeded_before: list[str], limit: int = 2) -> list[str]:
    """The critique's instructions for this variant: each names the field its line belongs to (corrected, or
    dropped when it names a field the variant lacks), and none repeats one that left its line unchanged."""
    stale = {_norm(x) for x in unheeded_before}
    out = []
    for x in parsed.get("instructions", []):
        fixed = name_right_field(x, fields)
        if fixed and _norm(fixed) not in stale and _norm(x) not in stale and fixed not in out:
            out.append(fixed)
    return out[:limit]


def critic(state, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime, state)
    llm, knowledge = ctx.llm, ctx.knowledge
    brief, settings = brief_of(state), settings_of(state)
    spec = channel_of(state, knowledge)
    loop = state.get("revision", 0)
    variants = [dict(v) for v in state["variants"]]
    targets = [v for v in variants if v["status"] == "drafted"]
    trace = NodeTrace("critic", loop, {"critique": [v["id"] for v in targets]})
    batch, passages_per, reused = [], [], {}
    stale = {v["id"]: unheeded(v) for v in targets}

    def render(v: dict, passages: list[dict]):
        return prompts.render(
            "critic", brand=brief.brand, channel_title=spec.title, product=brief.product, audience=brief.audience,
            goal=brief.goal, key_message=brief.key_message, variant=labelled(v["fields"]),
            findings=findings_of(v.get("violations", [])), unheeded=stale[v["id"]],
            guidelines=[{"id": f"G{n + 1}", "text": _gist(p["text"])} for n, p in enumerate(passages)])

    for v in targets:
        prev = (v.get("versions") or [{}])[-1]
        if prev.get("fields") == v["fields"] and prev.get("parsed") is not None:
            reused[v["id"]] = prev  # the same text as last loop: its critique stands (greedy would repeat it)
            continue
        # passages are looked up by what this variant says and what is wrong with it, not by the brief
        text = " ".join([*(t for items in v["fields"].values() for t in items),
                         *(x["message"] for x in v.get("violations", []))])
        if knowledge is not None:
            passages = [p.model_dump() if hasattr(p, "model_dump") else dict(p)
                        for p in knowledge.guidelines_for(text, brand=brief.brand, channel=brief.channel, k=3)]
        else:
            passages = list(state.get("guidelines", []))[:3]
        passages_per.append(passages)
        batch.append(render(v, passages))
    asked = [v for v in targets if v["id"] not in reused]
    pattern = critique_pattern(brief_text(brief))
    replies = batch_with_retry(llm, [v["id"] for v in asked], batch, parse_critique, trace,
                               max_new_tokens=settings.critic_max_new_tokens, patterns=[pattern] * len(asked))
    # A critique that restates a guideline passage is asked once more without that passage (greedy decoding would
    # restate it again from the same prompt); one that still restates one is not shown as a review (below).
    restated = {k: echo for k, (parsed, _) in enumerate(replies)
                if (echo := next((e for x in said(parsed) if (e := echoed(x, passages_per[k]))), None))}
    redo = [k for k, echo in restated.items() if echo.startswith("G")]
    shown = [list(p) for p in passages_per]  # what the first ask showed: an echo of any of it is no review
    if redo:
        for k in redo:
            passages_per[k] = [p for n, p in enumerate(passages_per[k]) if f"G{n + 1}" != restated[k]]
        again = batch_with_retry(llm, [f"{asked[k]['id']}.again" for k in redo],
                                 [render(asked[k], passages_per[k]) for k in redo], parse_critique, trace,
                                 max_new_tokens=settings.critic_max_new_tokens, patterns=[pattern] * len(redo))
        for k, reply in zip(redo, again):
            if reply[0] is not None:
                replies[k] = reply
    trace.set(restated={asked[k]["id"]: _what(echo) for k, echo in restated.items()})
    answers = iter(zip(passages_per, shown, replies))
    scores = {}
    metrics = set_metrics(state, variants, knowledge)
    for v in targets:
        if v["id"] in reused:
            passages, parsed = reused[v["id"]]["passages"], reused[v["id"]]["parsed"]
            first_shown = passages
        else:
            passages, first_shown, (parsed, _problems) = next(answers)
        parsed = dict(parsed or {})
        if echo := echoed(parsed.get("critique", ""), first_shown):  # still restating after the second ask: not shown
            parsed["critique"] = f"(the critic only restated {_what(echo)}; no critique of this ad)"
        parsed["instructions"] = [x for x in parsed.get("instructions", []) if not echoed(x, first_shown)]
        measured = metrics["per_variant"].get(v["id"], {})
        score = combine_score(parsed.get("score10"), measured, v.get("violations", []))
        alias = {f"G{n + 1}": p["id"] for n, p in enumerate(passages)}  # short ids in the prompt
        given = fixes(parsed, v["fields"], stale[v["id"]])
        v.update(score=score, score_history=[*v.get("score_history", []), score], metrics=measured,
                 judgement=parsed.get("score10"),
                 critique=parsed.get("critique") or "(the critic's reply could not be parsed)",
                 cited=list(dict.fromkeys(alias[c.upper()] for c in parsed.get("cited", []) if c.upper() in alias)),
                 passages=[{"id": p["id"], "text": p["text"]} for p in passages],
                 instructions=findings_of(v.get("violations", [])) + given)
        approved = delivery_status(v.get("violations", []), score, settings.pass_threshold) == "approved"
        # an approved ad short of lines or of a brief keyword is worked on while loops remain (the best version is
        # delivered, so a revision that does not help costs nothing but time)
        more = loop < settings.max_revisions and any(x["rule_id"] in REVISABLE for x in v.get("violations", []))
        v["status"] = "passed" if approved and not more else "revise"
        v["versions"] = [*v.get("versions", []), {
            "loop": loop, "fields": v["fields"], "score": score, "violations": v.get("violations", []),
            "critique": v["critique"], "cited": v["cited"], "passed": approved,
            "judgement": v["judgement"], "parsed": parsed, "passages": v["passages"],
            "fixes": given}]
        scores[v["id"]] = score
    active = [v["score"] for v in variants if v.get("score") is not None and v["status"] != "parse_failed"]
    mean = round(sum(active) / len(active), 2) if active else 0.0
    trace.set(output={v["id"]: {"score": v["score"], "status": v["status"], "critique": v["critique"],
                                "instructions": v["instructions"], "metrics": v["metrics"]} for v in targets},
              scores=scores, reused_critiques={k: x["loop"] for k, x in reused.items()}, set_metrics={k: metrics[k] for k in ("distinct_2", "max_pairwise_cosine")})
    emit(runtime, trace)
    return {"variants": variants, "best_scores": [*state.get("best_scores", []), mean],
            "set_metrics": {k: metrics[k] for k in ("distinct_2", "max_pairwise_cosine")}}
