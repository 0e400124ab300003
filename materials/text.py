"""Product pages (HTML) and text (Markdown / plain): main text plus structured facts.

Facts: prices with currency, numbers with units, specifications (tables, definition
lists, ``Key: value`` lines, Markdown tables) and schema.org JSON-LD Product offers.
"""

from __future__ import annotations

import json
import re
from typing import Iterable

from .models import Fact

MAX_FACTS = 150

# ----------------------------------------------------------------------------- prices
CURRENCY_SYMBOLS = {"US$": "USD", "C$": "CAD", "A$": "AUD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}
CURRENCY_CODES = ("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "INR", "SEK", "NOK", "DKK", "CNY")
_NUM = r"\d{1,3}(?:[,.\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_SYM = r"US\$|C\$|A\$|\$|€|£|¥|₹"
_CODE = "|".join(CURRENCY_CODES)
PRICE_RE = re.compile(
    rf"(?P<pre>{_SYM}|\b(?:{_CODE})\b)\s?(?P<n1>{_NUM})"
    rf"|(?P<n2>{_NUM})\s?(?P<post>{_SYM}|\b(?:{_CODE})\b)"
)


def parse_number(s: str) -> float | None:
    """'1,299.00' -> 1299.0; '49,99' -> 49.99; '1.299,00' -> 1299.0; '4.10' -> 4.1."""
    s = s.replace("\u202f", "").replace(" ", "")
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        head, _, tail = s.rpartition(",")
        s = s.replace(",", "") if len(tail) == 3 else head.replace(",", "") + "." + tail
    elif s.count(".") > 1:
        s = s.replace(".", "")
    try:
        return float(s)
    except ValueError:
        return None


def _currency(token: str) -> str:
    token = token.strip()
    return CURRENCY_SYMBOLS.get(token, token.upper())


def find_prices(line: str) -> list[tuple[str, float, str]]:
    """[(matched text, value, ISO currency)] in one line of text."""
    out = []
    for m in PRICE_RE.finditer(line):
        num = m.group("n1") or m.group("n2")
        cur = m.group("pre") or m.group("post")
        val = parse_number(num)
        if val is not None:
            out.append((m.group(0).strip(), val, _currency(cur)))
    return out


# ----------------------------------------------------------------------------- quantities
# unit alias -> canonical unit
UNITS = {
    "%": "%", "percent": "%",
    "mg": "mg", "g": "g", "gram": "g", "grams": "g", "kg": "kg", "oz": "oz", "lb": "lb", "lbs": "lb",
    "ml": "ml", "l": "l", "liter": "l", "litre": "l", "liters": "l", "litres": "l", "fl oz": "fl oz",
    "calories": "kcal", "calorie": "kcal", "kcal": "kcal", "cal": "kcal",
    "second": "s", "seconds": "s", "sec": "s", "minute": "min", "minutes": "min", "min": "min", "mins": "min",
    "hour": "h", "hours": "h", "hr": "h", "hrs": "h", "h": "h",
    "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
    "year": "year", "years": "year", "yr": "year", "yrs": "year",
    "mm": "mm", "cm": "cm", "m": "m", "km": "km", "inch": "in", "inches": "in", "ft": "ft", "feet": "ft",
    "miles": "mi", "mph": "mph", "km/h": "km/h",
    "mah": "mAh", "wh": "Wh", "w": "W", "watts": "W", "kw": "kW", "v": "V", "volts": "V",
    "hz": "Hz", "khz": "kHz", "mhz": "MHz", "ghz": "GHz",
    "kb": "KB", "mb": "MB", "gb": "GB", "tb": "TB", "mp": "MP", "megapixels": "MP", "fps": "fps",
    "servings": "servings", "serving": "servings", "pack": "pack", "pcs": "pcs", "pieces": "pcs", "count": "count",
    "x": "x", "stars": "stars", "star": "stars", "reviews": "reviews", "ratings": "ratings",
}
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
QTY_RE = re.compile(
    rf"(?<![\w.$€£¥])(?P<num>\d+(?:[.,]\d+)?)(?P<sep>\s?-\s?|\s?)(?P<unit>{_UNIT_ALT})(?![\w/])"
    rf"(?:\s+(?P<qual>APY|APR|p\.a\.|off|back)\b)?"
    rf"(?:\s+(?P<noun>(?!and\b|or\b|the\b|a\b|of\b|for\b|in\b|with\b|per\b)[A-Za-z][A-Za-z-]{{2,20}}))?",
    re.IGNORECASE,
)
# words after the unit that describe what was measured ("6 g protein", "12 hours battery")
_NOUN_UNITS = {"mg", "g", "kg", "oz", "lb", "ml", "l", "kcal", "h", "min", "day", "week", "month", "year", "mAh", "W", "GB", "TB", "MP", "%", "s", "servings", "x"}


def find_quantities(line: str) -> list[tuple[str, float, str]]:
    """[(statement, value, unit)] for numbers with units in one line (prices excluded)."""
    price_spans = [m.span() for m in PRICE_RE.finditer(line)]
    out = []
    for m in QTY_RE.finditer(line):
        if any(a <= m.start("num") < b for a, b in price_spans):
            continue
        unit = UNITS[m.group("unit").lower()]
        if unit == "x" and m.group("sep"):
            continue  # "3 x 4" is a dimension, not a multiplier
        val = parse_number(m.group("num"))
        if val is None:
            continue
        qual = m.group("qual")
        noun = m.group("noun") if unit in _NOUN_UNITS and not qual else None
        full_unit = f"{unit} {qual.upper()}" if qual and qual.upper() in ("APY", "APR") else unit
        end = m.end("noun") if noun else (m.end("qual") if qual else m.end("unit"))
        out.append((line[m.start():end].strip(), val, full_unit))
    return out


# ----------------------------------------------------------------------------- specs
KV_RE = re.compile(r"^\s*(?:[-*•]\s*)?(?P<key>[A-Za-z][\w ()/&.'-]{0,38}?)\s*:\s+(?P<val>\S.{0,150})$")
_NOT_KEYS = {"http", "https", "note", "warning", "tip"}


def kv_line(line: str) -> tuple[str, str] | None:
    m = KV_RE.match(line)
    if not m:
        return None
    key, val = m.group("key").strip(" *_"), m.group("val").strip(" *_")
    if key.lower() in _NOT_KEYS or len(key.split()) > 5 or not val:
        return None
    return key, val


def _spec_fact(key: str, val: str, source: str) -> Fact:
    value = unit = None
    prices = find_prices(val)
    if prices:
        _, value, unit = prices[0]
    else:
        q = find_quantities(val)
        if q and val.lstrip().startswith(q[0][0].split()[0]):
            _, value, unit = q[0]
        else:
            m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", val)
            if m:
                value = float(m.group(1))
    return Fact(statement=f"{key}: {val}", value=value, unit=unit, source=source)


# ----------------------------------------------------------------------------- line facts
def facts_from_lines(lines: Iterable[str], name: str, where: str = "line") -> tuple[list[Fact], dict]:
    """Prices, quantities and ``Key: value`` specs from numbered lines."""
    facts: list[Fact] = []
    specs: dict[str, str] = {}
    for i, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        src = f"{name}#{where} {i}"
        kv = kv_line(line)
        if kv:
            specs.setdefault(kv[0], kv[1])
            facts.append(_spec_fact(kv[0], kv[1], src))
        for text, val, cur in find_prices(line):
            facts.append(Fact(statement=f"price {text}", value=val, unit=cur, source=src))
        for text, val, unit in find_quantities(line):
            facts.append(Fact(statement=text, value=val, unit=unit, source=src))
    return facts, specs


def dedupe(facts: list[Fact], limit: int = MAX_FACTS) -> list[Fact]:
    seen = set()
    out = []
    for f in facts:
        key = (f.statement.lower(), f.value, f.unit)
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    return out[:limit]


# ----------------------------------------------------------------------------- HTML
_BLOCK_DROP = ["script", "style", "noscript", "template", "nav", "footer", "svg", "iframe", "form", "header", "aside"]


def _jsonld_products(soup) -> list[dict]:
    found: list[dict] = []

    def walk(node):
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            t = node.get("@type")
            types = t if isinstance(t, list) else [t]
            if "Product" in types:
                found.append(node)
            for k in ("@graph", "mainEntity", "itemListElement", "item"):
                if k in node:
                    walk(node[k])

    for tag in soup.find_all("script", attrs={"type": re.compile(r"ld\+json", re.I)}):
        try:
            walk(json.loads(tag.string or tag.get_text() or ""))
        except (json.JSONDecodeError, TypeError):
            continue
    return found


def _jsonld_facts(products: list[dict], name: str) -> tuple[list[Fact], list[dict]]:
    facts: list[Fact] = []
    summary = []
    for p in products:
        pname = p.get("name")
        brand = p.get("brand")
        if isinstance(brand, dict):
            brand = brand.get("name")
        src = f"{name}#json-ld Product"
        entry = {"name": pname, "brand": brand, "sku": p.get("sku"), "offers": []}
        if pname:
            facts.append(Fact(statement=f"product name: {pname}", source=src))
        if brand:
            facts.append(Fact(statement=f"brand: {brand}", source=src))
        offers = p.get("offers") or []
        offers = offers if isinstance(offers, list) else [offers]
        for o in offers:
            if not isinstance(o, dict):
                continue
            cur = o.get("priceCurrency")
            avail = str(o.get("availability") or "").rsplit("/", 1)[-1] or None
            for field in ("price", "lowPrice", "highPrice"):
                raw = o.get(field)
                if raw is None and field == "price":
                    spec = o.get("priceSpecification")
                    if isinstance(spec, dict):
                        raw, cur = spec.get("price"), cur or spec.get("priceCurrency")
                if raw is None:
                    continue
                val = parse_number(str(raw)) if not isinstance(raw, (int, float)) else float(raw)
                if val is None:
                    continue
                label = {"price": "offer price", "lowPrice": "lowest offer price", "highPrice": "highest offer price"}[field]
                facts.append(Fact(statement=f"{label} {val:g} {cur or ''}".strip() + (f" ({avail})" if avail else ""),
                                  value=val, unit=cur, source=f"{name}#json-ld Product.offers"))
                entry["offers"].append({"kind": field, "price": val, "currency": cur, "availability": avail})
        rating = p.get("aggregateRating")
        if isinstance(rating, dict) and rating.get("ratingValue") is not None:
            rv = parse_number(str(rating["ratingValue"]))
            if rv is not None:
                cnt = rating.get("reviewCount") or rating.get("ratingCount")
                facts.append(Fact(statement=f"average rating {rv:g}" + (f" from {cnt} reviews" if cnt else ""),
                                  value=rv, unit="stars", source=f"{name}#json-ld Product.aggregateRating"))
        summary.append(entry)
    return facts, summary


def _clean(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def analyze_html(raw: str, name: str) -> tuple[str, list[Fact], dict]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    products = _jsonld_products(soup)
    facts, jsonld = _jsonld_facts(products, name)
    title = _clean(soup.title.get_text()) if soup.title else ""
    desc_tag = soup.find("meta", attrs={"name": re.compile("^description$", re.I)})
    description = _clean(desc_tag.get("content", "")) if desc_tag else ""
    for tag in soup.find_all(_BLOCK_DROP):
        tag.decompose()
    specs: dict[str, str] = {}
    # tables: two-cell rows (th/td or td/td) are specifications
    for ti, table in enumerate(soup.find_all("table"), 1):
        for ri, row in enumerate(table.find_all("tr"), 1):
            cells = [_clean(c.get_text(" ")) for c in row.find_all(["th", "td"])]
            if len(cells) == 2 and cells[0] and cells[1] and len(cells[0]) <= 60:
                key = cells[0].rstrip(":")
                specs.setdefault(key, cells[1])
                facts.append(_spec_fact(key, cells[1], f"{name}#table {ti} row {ri}"))
    for di, dl in enumerate(soup.find_all("dl"), 1):
        for dt in dl.find_all("dt"):
            dd = dt.find_next_sibling("dd")
            if dd is None:
                continue
            key, val = _clean(dt.get_text(" ")).rstrip(":"), _clean(dd.get_text(" "))
            if key and val:
                specs.setdefault(key, val)
                facts.append(_spec_fact(key, val, f"{name}#definition list {di}"))
    root = soup.find("main") or soup.find("article") or soup.body or soup
    h1 = root.find("h1") or soup.find("h1")
    for br in root.find_all("br"):
        br.replace_with("\n")
    text = root.get_text("\n")
    lines = [_clean(ln) for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    line_facts, line_specs = facts_from_lines(lines, name, "text line")
    facts.extend(line_facts)
    for k, v in line_specs.items():
        specs.setdefault(k, v)
    feats = {
        "title": title,
        "description": description,
        "h1": _clean(h1.get_text(" ")) if h1 else "",
        "specs": dict(list(specs.items())[:60]),
        "json_ld_products": jsonld,
    }
    return "\n".join(lines), dedupe(facts), feats


# ----------------------------------------------------------------------------- Markdown / text
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def markdown_to_text(md: str) -> str:
    md = re.sub(r"```.*?```", "", md, flags=re.S)
    out = []
    for line in md.splitlines():
        if _MD_TABLE_SEP.match(line):
            continue
        line = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", line)
        line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)
        line = re.sub(r"^\s{0,3}#{1,6}\s*", "", line)
        line = re.sub(r"^\s{0,3}>\s?", "", line)
        line = re.sub(r"(\*\*|__|\*|_|`)(\S.*?\S|\S)\1", r"\2", line)
        if line.strip().startswith("|") and line.count("|") >= 3:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            line = ": ".join(cells) if len(cells) == 2 else " | ".join(cells)
        out.append(line.rstrip())
    return "\n".join(out).strip()


def analyze_text(raw: str, name: str, *, markdown: bool) -> tuple[str, list[Fact], dict]:
    text = markdown_to_text(raw) if markdown else raw.strip()
    lines = text.splitlines()
    facts, specs = facts_from_lines(lines, name)
    title = next((ln.strip() for ln in lines if ln.strip()), "")
    heading = ""
    if markdown:
        m = re.search(r"^\s{0,3}#\s+(.+)$", raw, re.M)
        heading = m.group(1).strip() if m else ""
    feats = {"title": heading or title[:120], "specs": dict(list(specs.items())[:60])}
    return text, dedupe(facts), feats


def text_stats(text: str) -> dict:
    words = re.findall(r"\w+", text)
    return {"characters": len(text), "words": len(words), "lines": text.count("\n") + 1 if text else 0}
