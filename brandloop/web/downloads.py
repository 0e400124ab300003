"""Downloads of a run's variants (Google Ads Editor, Meta, CSV, JSON): the same files as `brandloop export`."""
from __future__ import annotations

import re

from fastapi import APIRouter, Query
from fastapi.responses import Response

from brandloop.web.deps import Store

MEDIA = {".csv": "text/csv; charset=utf-8", ".json": "application/json"}
router = APIRouter()


@router.get("/runs/{run_id}/export", include_in_schema=False, tags=["runs"],
            summary="Download approved variants (all with all=true) as google-ads-editor, meta, csv or json")
def download(run_id: str, store: Store,
             format: str = Query(..., description="google-ads-editor, meta, csv or json"),  # noqa: A002
             all: bool = False, campaign: str = "", ad_group: str = "", final_url: str = "",  # noqa: A002
             path1: str = "", path2: str = "", cta: str = ""):
    """An unknown run is a 404, one not finished a 409, a bad format or target a 400 (BriefError, see web.errors)."""
    from brandloop.export import SUFFIX, Target, render
    from brandloop.graph.runner import stored_result

    result, brief = stored_result(store, run_id)
    text = render(result, format, Target(campaign, ad_group, final_url, path1, path2, cta), include_all=all,
                  brief_export=brief.get("export"))
    suffix = SUFFIX[format]
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{run_id}-{format}{'-all' if all else ''}{suffix}")
    return Response(text, media_type=MEDIA[suffix], headers={"Content-Disposition": f'attachment; filename="{name}"'})
