"""The brandloop web UI: server-rendered pages and a JSON API over the same run store (see docs/web.md)."""
from brandloop.web.app import create_app

__all__ = ["create_app"]
