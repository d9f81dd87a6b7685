"""Dashboards: coverage against the 2024 census; linkage quality and the review backlog."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from sijill.reports.charts import Bar, bar_chart, histogram
from sijill.reports.coverage import coverage
from sijill.reports.quality import linkage_quality
from sijill.web.app import desk_of
from sijill.web.settings import get_census_share
from sijill.web.views.common import Viewer, render, require, translator

router = APIRouter(prefix="/dashboards")
CoverageViewer = Annotated[Viewer, Depends(require("coverage"))]
QualityViewer = Annotated[Viewer, Depends(require("quality"))]
GAP_COMMUNES = 25


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, viewer: CoverageViewer) -> Response:
    """Show persons and coverage by region and commune type, and the communes of largest gap."""
    t = translator(viewer)
    figures = desk_of(request).figures(
        "coverage", lambda session: coverage(session=session, share=get_census_share(session=session))
    )
    ar = t.language == "ar"
    series = (t("coverage.persons"), t("coverage.expected"))
    regions = bar_chart(
        [Bar(a.name_ar if ar else a.name_fr, a.persons, a.expected) for a in figures.regions],
        title=t("coverage.by_region"),
        series=series,
        value_text=t.number,
    )
    rates = bar_chart(
        [Bar(a.name_ar if ar else a.name_fr, a.coverage * 100) for a in figures.regions],
        title=t("coverage.rate_by_region"),
        value_text=lambda v: t.percent(v / 100),
    )
    types = bar_chart(
        [Bar(t(f"coverage.{a.code}"), a.persons, a.expected) for a in figures.commune_types],
        title=t("coverage.by_type"),
        series=series,
        value_text=t.number,
    )
    return render(
        request,
        viewer,
        "coverage.html",
        figures=figures,
        regions_chart=regions,
        rates_chart=rates,
        types_chart=types,
        gaps=figures.communes[:GAP_COMMUNES],
    )


@router.get("/quality", response_class=HTMLResponse)
def quality_page(request: Request, viewer: QualityViewer) -> Response:
    """Show links by method, match weights, registries per person, builds and the backlog."""
    t = translator(viewer)
    q = desk_of(request).figures("quality", lambda session: linkage_quality(session=session))
    methods = bar_chart(
        [Bar(t(f"method.{m}"), n) for m, n in q.links_by_method.items()],
        title=t("quality.links_by_method"),
        value_text=t.number,
    )
    weights = histogram(q.weight_bins, title=t("quality.weights"), value_text=t.number)
    spread = bar_chart(
        [Bar(t("quality.in_sources", n=k), n) for k, n in q.sources_per_person.items()],
        title=t("quality.sources_per_person"),
        value_text=t.number,
    )
    b = q.backlog
    queue = bar_chart(
        [
            Bar(t("backlog.pending"), b.pending),
            Bar(t("backlog.linked"), b.linked),
            Bar(t("backlog.kept_apart"), b.kept_apart),
            Bar(t("backlog.moot"), b.moot),
        ],
        title=t("quality.backlog"),
        value_text=t.number,
    )
    return render(
        request,
        viewer,
        "quality.html",
        q=q,
        methods_chart=methods,
        weights_chart=weights,
        spread_chart=spread,
        backlog_chart=queue,
    )
