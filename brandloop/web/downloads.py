"""Downloads of a run's variants (Google Ads Editor, Meta, CSV, JSON): the same files as `brandloop export`."""
from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import Response

MEDIA = {".csv": "text/csv; charset=utf-8", ".json": "application/json"}


def register(app: FastAPI, home: Path) -> None:
    @app.get("/runs/{run_id}/export", include_in_schema=False, tags=["runs"],
             summary="Download approved variants (all with all=true) as google-ads-editor, meta, csv or json")
    def download(run_id: str, format: str = Query(..., description="google-ads-editor, meta, csv or json"),  # noqa: A002
                 all: bool = False, campaign: str = "", ad_group: str = "", final_url: str = "",  # noqa: A002
                 path1: str = "", path2: str = "", cta: str = ""):
        from brandloop.export import SUFFIX, Target, render
        from graph.brief import BriefError
        from graph.runner import stored_result
        from graph.store import open_store

        store = open_store(home)
        try:
            result, brief = stored_result(store, run_id)
        except BriefError as exc:
            raise HTTPException(404 if "no run with id" in str(exc) else 409, str(exc)) from None
        finally:
            store.close()
        try:
            text = render(result, format, Target(campaign, ad_group, final_url, path1, path2, cta), include_all=all,
                          brief_export=brief.get("export"))
        except BriefError as exc:
            raise HTTPException(400, str(exc)) from None
        suffix = SUFFIX[format]
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{run_id}-{format}{'-all' if all else ''}{suffix}")
        return Response(text, media_type=MEDIA[suffix], headers={"Content-Disposition": f'attachment; filename="{name}"'})
