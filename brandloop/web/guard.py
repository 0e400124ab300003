"""Request guards of the web app: cross-site write checks, the per-session form token, local-only
redirects and token redaction for logs."""
from __future__ import annotations

import logging
import re
import secrets
from urllib.parse import urlsplit

CSRF_COOKIE = "bl_csrf"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_TOKEN_IN_QUERY = re.compile(r"((?:^|[?&])token=)[^&\s\"]*", re.I)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, given: str | None) -> bool:
    return bool(cookie and given) and secrets.compare_digest(cookie.encode(), given.encode())


def cross_site_reason(request) -> str | None:
    """Why an unsafe request comes from another site, or None. Browsers send Sec-Fetch-Site and Origin on
    cross-site posts; clients such as curl send neither and pass (the token, when set, still applies)."""
    if request.method not in UNSAFE_METHODS:
        return None
    site = (request.headers.get("sec-fetch-site") or "").lower()
    if site and site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site: {site}"
    origin = request.headers.get("origin")
    if origin is None:
        return None
    parts = urlsplit(origin)
    host = (request.headers.get("host") or "").lower()
    if origin == "null" or not parts.netloc or parts.netloc.lower() != host:
        return f"Origin {origin[:100]} does not match the server"
    return None


def local_path(path: str) -> str:
    """A redirect target that stays on this server: '//evil.example/x' and '/\\evil' become '/evil.example/x'."""
    return "/" + path.replace("\\", "/").lstrip("/")


def redact_token(text: str) -> str:
    return _TOKEN_IN_QUERY.sub(r"\1[redacted]", text)


class RedactTokenFilter(logging.Filter):
    """Removes ?token=... from log records (uvicorn's access log prints the full request line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_token(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact_token(record.msg)
        return True
