"""Brand compliance: exact, deterministic checks of every field of every variant. No LLM, so text in a
brief or a material ("ignore the brand rules") cannot change what is enforced."""
from __future__ import annotations

from langgraph.runtime import Runtime

from brandloop.agents.common import brief_of, channel_of
from brandloop.agents.context import Context, context_of, emit
from brandloop.agents.repairs import required_texts, rules_in_force
from brandloop.agents.tracing import NodeTrace
from brandloop.knowledge.briefclaims import check_brief_claims
from brandloop.knowledge.checks import check_channel, check_terms, label
from brandloop.knowledge.lint import disclaimer_only, lint_for, lint_set
from brandloop.knowledge.violations import Violation


def check_variant(fields: dict[str, list[str]], state, knowledge=None) -> list[Violation]:
    """Every violation of one variant: channel limits, the brief's word lists, and the rulebook (if any)."""
    brief, spec = brief_of(state), channel_of(state, knowledge)
    found = check_channel(fields, spec)
    found += short_of_count(fields, spec)
    found += lint_for(fields, spec, knowledge, [brief.brand, brief.product.name, brief.product.description,
                                                 brief.key_message, *brief.product.facts, *brief.keywords,
                                                 *state.get("facts", [])])
    found += check_brief_claims(fields, state, knowledge)
    found += check_terms(fields, brief.forbidden_words, brief.keywords)
    found += example_leaks(fields, state)
    if knowledge is not None:
        evidence = list(state.get("facts", [])) + [f["statement"] for m in state.get("materials", [])
                                                   for f in m.get("facts", [])]
        found += knowledge.check(fields, channel=brief.channel, product=brief.product.name,
                                 audience=brief.audience, extra_facts=evidence)
        found += approved_ad_copies(fields, knowledge)
        found += disclaimer_only(fields, required_texts(rules_in_force(brief, knowledge)),
                                 [brief.brand, brief.product.name], knowledge.lint_config)
    return found


def from_set(x: dict) -> bool:
    """A `set_warnings` warning (a sibling's line), not one variant's own repeated line."""
    return x["rule_id"] == "lint.duplicate_line" and " of variant " in x["message"]


def set_warnings(variants: list[dict], spec, knowledge=None) -> dict[str, list[dict]]:
    """`lint.duplicate_line` warnings for lines that repeat (or are worded like) a line of an earlier variant of the
    run: {variant id: warnings}. The first variant keeps its line. Compliance adds them to each loop's checks, so
    the later variant's line is revised, and finalize to the delivered set. Fields the channel fills from the
    brief (a business name) are the same in every variant by design."""
    same = spec.brief_fields()
    found = lint_set({v["id"]: {k: x for k, x in v["fields"].items() if k not in same}
                      for v in variants if v.get("fields")}, getattr(knowledge, "lint_config", None))
    return {k: [x.model_dump() for x in xs] for k, xs in found.items()}


def approved_ad_copies(fields: dict[str, list[str]], knowledge) -> list[Violation]:
    """Lines identical to a line of the brand's approved ads (case, spacing and punctuation aside): the ads are
    style examples, never copy to reuse. Hard: never delivered."""
    copies = getattr(knowledge, "copies_exemplar", None)
    return [_whole_line("copy.approved_ad", name, i, text, f"copies the approved ad {ad}; write a new line")
            for name, items in (fields.items() if copies else ()) for i, text in enumerate(items)
            if text and (ad := copies(text))]


def _whole_line(rule_id: str, name: str, i: int, text: str, what: str) -> Violation:
    """A hard violation covering a whole line: '<field> <n> <what>'."""
    return Violation(rule_id=rule_id, severity="error", field=name, index=i, start=0, end=len(text),
                     message=f"{label(name).lower()} {i + 1} {what}")


def short_of_count(fields: dict[str, list[str]], spec) -> list[Violation]:
    """A warning where a variant carries fewer items than asked for (the brief's `assets`, the rulebook's or the
    channel's count) but still the channel's minimum (below it, check_channel reports an error)."""
    return [Violation(rule_id="channel.count", severity="warning", field=name, index=max(len(fields[name]) - 1, 0),
                      message=f"{name}: {len(fields[name])} of the {fs.draft} item(s) asked for")
            for name, fs in spec.drafted_fields().items()
            if name in fields and max(fs.min_count, 1) <= len(fields[name]) < fs.draft]


def example_leaks(fields: dict[str, list[str]], state) -> list[Violation]:
    """Lines where the prompt leaks into the ad, where the brief and the brand's facts don't say the same:
    - `copy.worked_example`: a phrase (3 content words) of a prompt's worked example ('Pre-portioned dinners' in a
      bank's ad), a word of its fictional product ('runners' in a beer ad), or the channel's name;
    - `copy.prompt_text`: words about the copy, from the prompt's instructions ('Use the exact text').
    Hard: never delivered."""
    from brandloop.agents.common import brief_text
    from brandloop.agents.selection import example_topic, examples_for, prompt_talk, shared_phrase, worked_examples

    brief = brief_of(state)
    own = " ".join([brief_text(brief), brief.tone, *brief.audience, *brief.product.facts, *brief.keywords,
                    *state.get("facts", [])])
    title = channel_of(state).title
    shown = examples_for(brief)  # the worked examples this brief's prompts show
    out = []
    for name, items in fields.items():
        for i, text in enumerate(items):
            rule = "copy.worked_example"
            if phrase := shared_phrase(text or "", list(worked_examples(shown)), allowed=own):
                what = f"copies the prompt's worked example ('{phrase}')"
            elif word := example_topic(text or "", allowed=own, shown=shown):
                what = f"takes '{word}' from the prompt's worked example, which is about another product"
            elif phrase := shared_phrase(text or "", [title], allowed=own):
                what = f"names the channel ('{phrase}'), not the product"
            elif word := prompt_talk(text or "", allowed=own):
                rule, what = "copy.prompt_text", f"talks about the copy ('{word}'), from the prompt's instructions"
            else:
                continue
            out.append(_whole_line(rule, name, i, text, f"{what}; write about {brief.product.name}"))
    return out


def compliance(state, runtime: Runtime[Context]) -> dict:
    knowledge = context_of(runtime, state).knowledge
    loop = state.get("revision", 0)
    variants = [dict(v) for v in state["variants"]]
    trace = NodeTrace("compliance", loop, {"variants": [v["id"] for v in variants if v.get("fields")]})
    report, history = {}, []
    for v in variants:
        if not v.get("fields"):
            continue
        found = check_variant(v["fields"], state, knowledge)
        v["violations"] = [x.model_dump() for x in found]
        report[v["id"]] = [f"[{x.severity}] {x.rule_id}: {x.message}" for x in found]
    # a line a sibling has too: the variant written in this loop gets the warning, one left as it was keeps it
    for vid, warnings in set_warnings(sorted(variants, key=lambda v: v.get("status") == "drafted"),
                                      channel_of(state, knowledge), knowledge).items():
        v = next(x for x in variants if x["id"] == vid)
        v["violations"] = [*v["violations"], *warnings]
        report[vid] += [f"[{x['severity']}] {x['rule_id']}: {x['message']}" for x in warnings]
    for v in variants:
        if v.get("fields") and v.get("status") == "drafted":  # written in this loop: the draft as the model
            history.append({"loop": loop, "id": v["id"], "fields": v["fields"],  # wrote it, and its checks
                            "violations": sorted({x["rule_id"] for x in v["violations"]})})
    trace.set(output=report, violations={k: len(x) for k, x in report.items()})
    emit(runtime, trace)
    return {"variants": variants, "history": history}
