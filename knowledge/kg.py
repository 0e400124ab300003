"""Brand knowledge graph (networkx MultiDiGraph), persisted as node-link JSON.

Nodes: brand, product, fact, claim, rule, term, channel, audience, section (guideline section).
Edges: inherits, has_product, has_fact, applies_to, replaces, requires, overrides, cites.
"""
from __future__ import annotations

import json
import pathlib
from collections import Counter

import networkx as nx

from brandloop.knowledge.rulebook.schema import Fact, RulebookData
from brandloop.knowledge.rules.model import Rule
from brandloop.knowledge.rules.precedence import resolve


def _rid(r: Rule) -> str:
    return f"rule:{r.origin.rulebook}:{r.id}"


def build_graph(data: RulebookData) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(name=data.name, version=data.version)
    for i, (rb, brand) in enumerate(zip(data.chain, data.brands)):
        G.add_node(f"brand:{rb}", kind="brand", label=brand, rulebook=rb, depth=i)
        if i:
            G.add_edge(f"brand:{data.chain[i - 1]}", f"brand:{rb}", key="inherits", kind="inherits")
    brand_of = {b: rb for rb, b in zip(data.chain, data.brands)}
    for p in data.products:
        pn = f"product:{p.name}"
        G.add_node(pn, kind="product", label=p.name, aliases=list(p.aliases))
        G.add_edge(f"brand:{brand_of.get(p.brand, data.name)}", pn, kind="has_product")
        for j, f in enumerate(p.facts):
            fn = f"fact:{p.name}:{j}"
            G.add_node(fn, kind="fact", label=f.statement, data=f.model_dump())
            G.add_edge(pn, fn, kind="has_fact")
        for j, c in enumerate(p.approved_claims):
            cn = f"claim:{p.name}:{j}"
            G.add_node(cn, kind="claim", label=c)
            G.add_edge(pn, cn, kind="has_fact")
    ids_by_rb: dict[str, set[str]] = {}
    for r in data.rules:
        ids_by_rb.setdefault(r.origin.rulebook, set()).add(r.id)
    for r in data.rules:
        rn = _rid(r)
        G.add_node(rn, kind="rule", label=r.id, type=r.type, severity=r.severity, depth=r.origin.depth,
                   data=json.loads(r.model_dump_json()))
        G.add_edge(f"brand:{r.origin.rulebook}", rn, kind="applies_to")
        for ch in r.scope.channels:
            G.add_node(f"channel:{ch}", kind="channel", label=ch)
            G.add_edge(rn, f"channel:{ch}", kind="applies_to")
        for pr in r.scope.products:
            G.add_node(f"product:{pr}", kind="product", label=pr)
            G.add_edge(rn, f"product:{pr}", kind="applies_to")
        for au in r.scope.audiences:
            G.add_node(f"audience:{au}", kind="audience", label=au)
            G.add_edge(rn, f"audience:{au}", kind="applies_to")
        if r.type == "existence":
            for t in r.params.get("tokens") or []:
                G.add_node(f"term:{t}", kind="term", label=str(t))
                G.add_edge(rn, f"term:{t}", kind="cites")
        elif r.type == "substitution":
            for a, b in (r.params.get("swap") or {}).items():
                G.add_node(f"term:{a}", kind="term", label=str(a))
                G.add_node(f"term:{b}", kind="term", label=str(b))
                G.add_edge(f"term:{a}", f"term:{b}", kind="replaces", rule=r.id)
                G.add_edge(rn, f"term:{a}", kind="cites")
        elif r.type == "required":
            texts = r.params.get("text")
            for t in [texts] if isinstance(texts, str) else texts or []:
                G.add_node(f"term:{t}", kind="term", label=str(t))
                G.add_edge(rn, f"term:{t}", kind="requires")
        for o in r.overrides:
            for rb, ids in ids_by_rb.items():
                if o in ids:
                    G.add_edge(rn, f"rule:{rb}:{o}", kind="overrides")
        for rb, ids in ids_by_rb.items():  # a child rule with a parent's id overrides it
            if rb != r.origin.rulebook and r.id in ids:
                other = next(x for x in data.rules if x.origin.rulebook == rb and x.id == r.id)
                if other.origin.depth > r.origin.depth:
                    G.add_edge(rn, f"rule:{rb}:{r.id}", kind="overrides")
    for c in data.chunks:
        sn = f"section:{c.id}"
        G.add_node(sn, kind="section", label=c.section or c.file, file=c.file, line=c.line)
        G.add_edge(f"brand:{c.rulebook}", sn, kind="cites")
        if c.channel:
            G.add_node(f"channel:{c.channel}", kind="channel", label=c.channel)
            G.add_edge(sn, f"channel:{c.channel}", kind="applies_to")
    return G


def save_graph(G: nx.MultiDiGraph, path: pathlib.Path) -> None:
    path.write_text(json.dumps(nx.node_link_data(G, edges="edges"), ensure_ascii=False), "utf-8")


def load_graph(path: pathlib.Path) -> nx.MultiDiGraph:
    return nx.node_link_graph(json.loads(path.read_text("utf-8")), directed=True, multigraph=True, edges="edges")


def stats(G: nx.MultiDiGraph) -> dict:
    return {"nodes": G.number_of_nodes(), "edges": G.number_of_edges(),
            "node_kinds": dict(Counter(d.get("kind") for _, d in G.nodes(data=True))),
            "edge_kinds": dict(Counter(d.get("kind") for _, _, d in G.edges(data=True)))}


def rules_for(G: nx.MultiDiGraph, brand: str | None = None, product=None, channel=None, audience=None) -> list[Rule]:
    """Rules in force for a brand (rulebook name or brand name; default: the graph's own brand)."""
    start = None
    for n, d in G.nodes(data=True):
        if d.get("kind") == "brand" and (brand is None and d.get("depth") == 0 or
                                         brand is not None and brand in (d.get("rulebook"), d.get("label"))):
            start = n
            break
    if start is None:
        return []
    chain = [start]
    while True:
        nxt = [v for _, v, d in G.out_edges(chain[-1], data=True) if d.get("kind") == "inherits"]
        if not nxt:
            break
        chain.append(nxt[0])
    rules = []
    for depth, b in enumerate(chain):
        for _, v, d in G.out_edges(b, data=True):
            if d.get("kind") == "applies_to" and G.nodes[v].get("kind") == "rule":
                r = Rule.model_validate(G.nodes[v]["data"])
                rules.append(r.model_copy(update={"origin": r.origin.model_copy(update={"depth": depth})}))
    return resolve(rules, channel=channel, product=product, audience=audience)


def facts_for(G: nx.MultiDiGraph, product: str) -> list[Fact]:
    key = " ".join(product.lower().split())
    out = []
    for n, d in G.nodes(data=True):
        if d.get("kind") == "product" and key in {" ".join(x.lower().split()) for x in [d.get("label", "")] + d.get("aliases", [])}:
            for _, v, e in G.out_edges(n, data=True):
                if e.get("kind") == "has_fact" and G.nodes[v].get("kind") == "fact":
                    out.append(Fact.model_validate(G.nodes[v]["data"]))
    return out
