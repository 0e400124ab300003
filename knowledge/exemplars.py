"""Approved ads ("exemplars") in a rulebook's ads/ folder: YAML files, or CSV files with the Google Ads Editor
RSA columns (Campaign, Ad group, Headline 1..15, Description 1..4, Path 1, Path 2, Final URL), each with an
optional performance label. Loaded and checked here (one-line issues naming file:line, field and fix);
indexed by knowledge.index, retrieved by BrandKnowledge.exemplars_for."""
from __future__ import annotations

import csv
import io
import pathlib

import regex

from brandloop.errors import Issue
from brandloop.knowledge.rulebook.schema import Exemplar
from brandloop.knowledge.yamlmap import YamlSyntaxError, load_yaml

PERFORMANCE = ("best", "good", "learning", "low")  # best first
_KEYS = {"id", "channel", "product", "audience", "performance", "campaign", "ad_group", "final_url", "path"}
_PERF_COLUMNS = ("performance label", "performance")
_WORD = regex.compile(r"[\p{L}\p{N}]+(?:['’][\p{L}]+)?")


def normalize_line(text: str) -> str:
    """Case, spacing and punctuation aside: the form two lines are compared in."""
    return " ".join(w.casefold() for w in _WORD.findall(text or ""))


_RANK = {"best": 0, "good": 1, "": 2, "learning": 2, "low": 3}


def perf_rank(label: str) -> int:
    """0 for best .. 3 for low; an unlabelled ad ranks with 'learning'."""
    return _RANK.get(label, 2)


def load_ads(folder: pathlib.Path, rulebook: str, overrides: dict | None = None) -> tuple[list[Exemplar], list[Issue]]:
    """Every approved ad under folder/ads (YAML and CSV), checked against the channel limits (with the
    rulebook's `channels:` overrides). Returns (exemplars, issues); never raises for content problems."""
    ads_dir = pathlib.Path(folder) / "ads"
    out: list[Exemplar] = []
    issues: list[Issue] = []
    if not ads_dir.is_dir():
        return out, issues
    for f in sorted(ads_dir.rglob("*")):
        rel = str(f.relative_to(folder))
        if not f.is_file() or any(p.startswith(".") for p in f.relative_to(folder).parts):
            continue
        try:
            text = f.read_text("utf-8-sig")
        except UnicodeDecodeError:
            issues.append(Issue(rel, 1, "", "not UTF-8 text", "save the file as UTF-8"))
            continue
        if f.suffix.lower() in (".yaml", ".yml"):
            found = _from_yaml(text, rel, rulebook, issues)
        elif f.suffix.lower() == ".csv":
            found = _from_csv(text, rel, rulebook, issues)
        else:
            issues.append(Issue(rel, 0, "", "not an ads file", "use .yaml, .yml or .csv (Google Ads Editor export)"))
            continue
        for ex in found:
            issues.extend(_check(ex, overrides or {}))
        out.extend(found)
    seen: dict[str, Exemplar] = {}
    for ex in out:
        if ex.id in seen:
            issues.append(Issue(ex.file, ex.line, "id", f"duplicate ad id {ex.id.split('#', 1)[1]!r}",
                                "give every ad in a file a unique id"))
        seen[ex.id] = ex
    return out, issues


def _from_yaml(text: str, rel: str, rulebook: str, issues: list[Issue]) -> list[Exemplar]:
    try:
        data, lm = load_yaml(text, rel)
    except YamlSyntaxError as exc:
        issues.append(exc.issue)
        return []
    root: tuple = ()
    if isinstance(data, dict) and "ads" in data:
        data, root = data["ads"], ("ads",)
    if not isinstance(data, list):
        issues.append(Issue(rel, 1, "ads", "must be a list of ads", "write '- channel: google_rsa' then each field's lines"))
        return []
    out = []
    for n, ad in enumerate(data):
        p = root + (n,)
        if not isinstance(ad, dict):
            issues.append(lm.issue(p, "an ad must be a mapping", "write '- channel: google_rsa' then 'headline: [...]'"))
            continue
        fields: dict[str, list[str]] = {}
        bad = False
        for k, v in ad.items():
            if k in _KEYS:
                continue
            lines = [v] if isinstance(v, str) else v
            if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
                issues.append(lm.issue(p + (k,), "must be a line or a list of lines", f"write '{k}: [\"...\"]'"))
                bad = True
                continue
            fields[str(k)] = [x.strip() for x in lines]
        channel = ad.get("channel")
        if not isinstance(channel, str):
            issues.append(Issue(rel, lm.line(p), "channel", f"ad {ad.get('id') or n + 1}: missing field",
                                "name the channel, e.g. 'channel: google_rsa'"))
            continue
        perf = str(ad.get("performance") or "").strip().lower()
        aud = ad.get("audience") or []
        aud = [aud] if isinstance(aud, str) else [str(a) for a in aud] if isinstance(aud, list) else []
        ad_id = str(ad.get("id") or f"ad{n + 1}")
        if bad:
            continue
        out.append(Exemplar(id=f"{rulebook}/{rel}#{ad_id}", channel=channel, fields=fields, performance=perf,
                            product=str(ad.get("product") or ""), audience=aud, campaign=str(ad.get("campaign") or ""),
                            ad_group=str(ad.get("ad_group") or ""), final_url=str(ad.get("final_url") or ""),
                            file=rel, line=lm.line(p), rulebook=rulebook))
    return out


def _from_csv(text: str, rel: str, rulebook: str, issues: list[Issue]) -> list[Exemplar]:
    """A Google Ads Editor RSA export (as brandloop export writes it), plus optional Performance label,
    Channel, Product and Audience columns."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        issues.append(Issue(rel, 1, "", "empty CSV", "export the ads with a header row (Headline 1, Description 1, ...)"))
        return []
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    if "headline 1" not in lower or "description 1" not in lower:
        issues.append(Issue(rel, 1, "header", "no 'Headline 1' and 'Description 1' columns",
                            "export responsive search ads from Google Ads Editor (Headline 1..15, Description 1..4)"))
        return []
    col = {h: i for i, h in enumerate(lower)}
    perf_col = next((col[c] for c in _PERF_COLUMNS if c in col), None)
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(x.strip() for x in row):
            continue
        if len(row) > len(header):
            issues.append(Issue(rel, n, "row", f"{len(row)} cells; the header has {len(header)}",
                                "quote cells that contain commas"))
            continue

        def get(name: str) -> str:
            i = col.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        fields = {"headline": [get(f"headline {i}") for i in range(1, 16) if get(f"headline {i}")],
                  "description": [get(f"description {i}") for i in range(1, 5) if get(f"description {i}")]}
        perf = row[perf_col].strip().lower() if perf_col is not None and perf_col < len(row) else ""
        out.append(Exemplar(id=f"{rulebook}/{rel}#row{n}", channel=get("channel") or "google_rsa", fields=fields,
                            performance=perf, product=get("product"),
                            audience=[a.strip() for a in get("audience").split(";") if a.strip()],
                            campaign=get("campaign"), ad_group=get("ad group"), final_url=get("final url"),
                            paths=[x for x in (get("path 1"), get("path 2")) if x], file=rel, line=n, rulebook=rulebook))
    return out


def _check(ex: Exemplar, overrides: dict) -> list[Issue]:
    """The ad's channel, performance label, fields, line counts and lengths."""
    from brandloop.knowledge.channels import channel_table, get_channel
    from brandloop.knowledge.text import char_length

    where = ex.id.split("#", 1)[1]
    if ex.channel not in channel_table():
        return [Issue(ex.file, ex.line, "channel", f"ad {where}: unknown channel {ex.channel!r}",
                      "use one of: " + ", ".join(channel_table()))]
    issues = []
    if ex.performance and ex.performance not in PERFORMANCE:
        issues.append(Issue(ex.file, ex.line, "performance", f"ad {where}: unknown label {ex.performance!r}",
                            "use " + ", ".join(PERFORMANCE) + " or leave it empty"))
    spec = get_channel(ex.channel, overrides.get(ex.channel))
    for name, lines in ex.fields.items():
        fs = spec.fields.get(name)
        if fs is None:
            issues.append(Issue(ex.file, ex.line, name, f"ad {where}: {spec.title} has no field {name!r}",
                                "use: " + ", ".join(spec.fields)))
            continue
        if len(lines) > fs.max_count:
            issues.append(Issue(ex.file, ex.line, name, f"ad {where}: {len(lines)} {name} lines; {spec.title} allows "
                                f"{fs.max_count}", f"keep the best {fs.max_count}"))
        for i, t in enumerate(lines):
            n = char_length(t, wide_counts_double=spec.wide_chars_count_double)
            if not t:
                issues.append(Issue(ex.file, ex.line, f"{name} {i + 1}", f"ad {where}: empty line", "remove it"))
            elif n > fs.max_chars:
                issues.append(Issue(ex.file, ex.line, f"{name} {i + 1}", f"ad {where}: {n} characters; the limit is "
                                    f"{fs.max_chars}", "shorten it (an approved ad must fit its channel)"))
    if not any(ex.fields.values()):
        issues.append(Issue(ex.file, ex.line, "fields", f"ad {where}: no lines",
                            "give the ad its lines, e.g. 'headline: [\"...\"]'"))
    return issues
