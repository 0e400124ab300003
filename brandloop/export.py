"""Exporters: a run's variants as files that ad tools import (Google Ads Editor, Meta Ads Manager), plain CSV and
JSON. Every file is checked against the channel's limits before it is written; `parse_export` reads one back.

Column names: docs/export.md (with the sources they were taken from).
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from brandloop.errors import BriefError
from brandloop.knowledge.channels import get_channel
from brandloop.knowledge.checks import check_channel

FORMATS = ("google-ads-editor", "meta", "csv", "json")
FORMAT_CHANNEL = {"google-ads-editor": "google_rsa", "meta": "meta_feed"}
SUFFIX = {"google-ads-editor": ".csv", "meta": ".csv", "csv": ".csv", "json": ".json"}

GOOGLE_COLUMNS = (["Campaign", "Ad group"] + [f"Headline {i}" for i in range(1, 16)]
                  + [f"Description {i}" for i in range(1, 5)] + ["Path 1", "Path 2", "Final URL"])
GOOGLE_PATH_MAX = 15
META_COLUMNS = ["Campaign Name", "Ad Set Name", "Ad Name", "Body", "Title", "Link Description", "Link",
                "Call to Action"]
META_FIELDS = {"Body": "primary_text", "Title": "headline", "Link Description": "description"}
PLAIN_HEAD = ["Run", "Variant", "Status", "Score", "Repaired"]


@dataclass
class Target:
    """Where the ads go in the ad account: from flags, else the brief's `export` section."""
    campaign: str = ""
    ad_group: str = ""
    final_url: str = ""
    path1: str = ""
    path2: str = ""
    call_to_action: str = ""

    def merged(self, brief_export: dict | None) -> "Target":
        b = brief_export or {}
        return Target(**{k: (getattr(self, k) or b.get(k) or "").strip() for k in self.__dataclass_fields__})


def _fail(run_id: str, field: str, problem: str, fix: str) -> BriefError:
    return BriefError(f"run {run_id}", field, problem, fix)


def exportable(v: dict) -> bool:
    """Approved by the checks, or approved / edited by a person in review and free of hard violations."""
    decision = (v.get("review") or {}).get("decision")
    if decision == "rejected":
        return False
    return v.get("delivered") == "approved" or (decision in ("approved", "edited") and v.get("delivered") != "failed")


def chosen_variants(result: dict, include_all: bool) -> list[dict]:
    """Exportable variants (every variant with text, with include_all)."""
    vs = [v for v in result["variants"] if v.get("fields") and (include_all or exportable(v))]
    if not vs:
        what = "variants with text" if include_all else "approved variants"
        raise _fail(result["run_id"], "variants", f"no {what} to export",
                    "pass --all to export every variant" if not include_all else "rerun the brief")
    return vs


def check_limits(result: dict, variants: list[dict], overrides: dict | None = None) -> None:
    """Refuse to write a file an ad tool would reject: every channel limit (length, count, characters)."""
    spec = get_channel(result["channel"], overrides)
    for v in variants:
        errors = [x for x in check_channel(v["fields"], spec) if x.severity == "error"]
        if errors:
            x = errors[0]
            raise _fail(result["run_id"], f"{v['id']}.{x.field}", f"{x.message} ({spec.title} limit)",
                        "export approved variants only, or fix the variant")


def _require(result: dict, target: Target, names: dict[str, str]) -> None:
    for attr, flag in names.items():
        if not getattr(target, attr):
            raise _fail(result["run_id"], attr, f"{attr.replace('_', ' ')} is needed for this format",
                        f"pass {flag} or set export.{attr} in the brief")
    url = target.final_url
    if url and not url.startswith(("https://", "http://")):
        raise _fail(result["run_id"], "final_url", f"'{url}' is not an http(s) URL", "pass --final-url https://...")


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def google_ads_editor(result: dict, variants: list[dict], target: Target) -> str:
    _require(result, target, {"campaign": "--campaign", "ad_group": "--ad-group", "final_url": "--final-url"})
    for name in ("path1", "path2"):
        value = getattr(target, name)
        if len(value) > GOOGLE_PATH_MAX or "/" in value:
            raise _fail(result["run_id"], name, f"'{value}' is over {GOOGLE_PATH_MAX} characters or contains '/'",
                        f"shorten --{name[:-1]}-{name[-1]}")
    rows = []
    for v in variants:
        h, d = v["fields"].get("headline", []), v["fields"].get("description", [])
        rows.append([target.campaign, target.ad_group] + [h[i] if i < len(h) else "" for i in range(15)]
                    + [d[i] if i < len(d) else "" for i in range(4)] + [target.path1, target.path2, target.final_url])
    return _csv(GOOGLE_COLUMNS, rows)


def meta(result: dict, variants: list[dict], target: Target) -> str:
    """One row per ad; a variant with several texts in a field becomes ads v1, v1.2, ... (one text each)."""
    _require(result, target, {"campaign": "--campaign", "ad_group": "--ad-group", "final_url": "--final-url"})
    rows = []
    for v in variants:
        n = max((len(v["fields"].get(f, [])) for f in META_FIELDS.values()), default=1)
        for i in range(n):
            texts = [(v["fields"].get(f) or [])[i] if i < len(v["fields"].get(f) or []) else ""
                     for f in META_FIELDS.values()]
            name = f"{result['run_id']} {v['id']}" + (f".{i + 1}" if i else "")
            rows.append([target.campaign, target.ad_group, name, *texts, target.final_url, target.call_to_action])
    return _csv(META_COLUMNS, rows)


def plain_csv(result: dict, variants: list[dict], overrides: dict | None = None) -> str:
    spec = get_channel(result["channel"], overrides)
    cols = [(f, i) for f in spec.fields for i in range(max(len(v["fields"].get(f, [])) for v in variants))]
    header = PLAIN_HEAD + [f"{f} {i + 1}" for f, i in cols]
    rows = [[result["run_id"], v["id"], v.get("delivered", ""), "" if v.get("score") is None else f"{v['score']:g}",
             "yes" if v.get("repaired") else "no"]
            + [v["fields"].get(f, [])[i] if i < len(v["fields"].get(f, [])) else "" for f, i in cols]
            for v in variants]
    return _csv(header, rows)


def as_json(result: dict, variants: list[dict]) -> str:
    keep = ("id", "angle", "delivered", "repaired", "score", "fields", "violations", "repairs")
    doc = {k: result.get(k) for k in ("run_id", "brand", "product", "channel", "model")}
    doc["variants"] = [{k: v.get(k) for k in keep} for v in variants]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render(result: dict, fmt: str, target: Target | None = None, *, include_all: bool = False,
           brief_export: dict | None = None, overrides: dict | None = None) -> str:
    """The file's text for `fmt`, after the format, target and channel-limit checks."""
    if fmt not in FORMATS:
        raise _fail(result["run_id"], "format", f"unknown format '{fmt}'", f"use one of: {', '.join(FORMATS)}")
    need = FORMAT_CHANNEL.get(fmt)
    if need and result["channel"] != need:
        raise _fail(result["run_id"], "format", f"{fmt} takes {need} ads; this run is {result['channel']}",
                    "use --format csv or json")
    variants = chosen_variants(result, include_all)
    check_limits(result, variants, overrides)
    target = (target or Target()).merged(brief_export)
    if fmt == "google-ads-editor":
        return google_ads_editor(result, variants, target)
    if fmt == "meta":
        return meta(result, variants, target)
    return plain_csv(result, variants, overrides) if fmt == "csv" else as_json(result, variants)


def write_atomic(text: str, out: Path) -> None:
    """Write through a temporary file in the same folder, so a failed write never leaves half a file."""
    out = Path(out)
    if out.is_dir():
        raise BriefError(str(out), "--out", "is a folder", "name a file")
    try:
        fd, tmp = tempfile.mkstemp(dir=out.parent if str(out.parent) else ".", prefix=f".{out.name}.")
    except OSError as exc:
        raise BriefError(str(out), "--out", f"cannot write there ({exc.strerror})", "choose a writable folder") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def parse_export(text: str, fmt: str) -> dict[str, dict[str, list[str]]]:
    """Variant id -> fields, read back from an exported file (for round-trip checks and re-imports)."""
    if fmt == "json":
        return {v["id"]: v["fields"] for v in json.loads(text)["variants"]}
    rows = list(csv.DictReader(io.StringIO(text)))
    out: dict[str, dict[str, list[str]]] = {}
    for n, r in enumerate(rows):
        if fmt == "google-ads-editor":
            out[f"row{n + 1}"] = {"headline": [r[f"Headline {i}"] for i in range(1, 16) if r[f"Headline {i}"]],
                                  "description": [r[f"Description {i}"] for i in range(1, 5) if r[f"Description {i}"]]}
        elif fmt == "meta":
            vid = r["Ad Name"].split(" ")[-1].split(".")[0]
            fields = out.setdefault(vid, {f: [] for f in META_FIELDS.values()})
            for col, f in META_FIELDS.items():
                if r[col]:
                    fields[f].append(r[col])
        else:
            fields = {}
            for col, value in r.items():
                if col in PLAIN_HEAD or not value:
                    continue
                fields.setdefault(col.rsplit(" ", 1)[0], []).append(value)
            out[r["Variant"]] = fields
    return out
