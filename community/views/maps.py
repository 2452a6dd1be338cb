"""The map of Europe and the coverage page: where the directory's actors are, and how far it has come."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse

from community import coverage as coverage_reads
from community import maps, selectors
from community.charts import Series, line_chart, percent
from community.filters import parse_directory_query, query_params
from community.models import Field, Organisation, Stage


def _with_params(url: str, params: list[tuple[str, str]]) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def europe_map(request):
    """A choropleth of actors per country under the directory's filters, each country a link."""
    query = parse_directory_query(request.GET)
    sort = "name" if request.GET.get("sort") == "name" else "count"
    counts = selectors.organisations_per_country(query=query)
    choropleth = maps.choropleth(counts, query=query, sort=sort)
    # Only an empty result needs the second question: empty directory, or no match?
    directory_empty = (
        not counts and not selectors.organisation_list_visible(viewer=request.user).exists()
    )
    params = query_params(query)
    filters = [(k, v) for k, v in params if k != "country"]
    fields = list(Field.objects.all())
    map_url = reverse("community:map")
    context = {
        "query": query,
        "map": choropleth,
        "directory_empty": directory_empty,
        "filtered": bool(filters),
        "sort": sort,
        "directory_url": maps.directory_url(query, country=[]),
        "sort_urls": {
            "count": _with_params(map_url, filters),
            "name": _with_params(map_url, [*filters, ("sort", "name")]),
        },
        # What the form does not show travels along unchanged.
        "hidden_params": [(k, v) for k, v in filters if k not in {"stage", "field", "kind"}],
        "stages": list(Stage.objects.all()),
        "field_groups": [
            (label, [f for f in fields if f.category == value])
            for value, label in Field.Category.choices
        ],
        "kinds": Organisation.Kind.choices,
    }
    template = (
        "community/_map_body.html"
        if request.htmx and not request.htmx.boosted
        else "community/map.html"
    )
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def coverage(request):
    """Actors by country and stage, growth over time, and progress towards mapping 90% of the sector.

    The partnership outcomes (`?section=partnerships`) cost a dozen grouped
    queries of their own: the page loads them after itself (htmx), or inline
    when asked for without JavaScript.
    """
    with_outcomes = request.GET.get("section") == "partnerships"
    if with_outcomes and request.htmx:
        response = render(request, "partnerships/_outcomes.html", {"outcomes": _partnership_outcomes()})
        response["Vary"] = "HX-Request"
        return response
    totals = selectors.directory_totals()
    table = coverage_reads.country_stage_table()
    months = coverage_reads.growth_by_month()
    progress = coverage_reads.coverage_progress(per_country={r.code: r.total for r in table.rows})
    charts = None
    if months:
        series = [
            Series("listed", "line-listed", [m.listed_total for m in months]),
            Series("claimed", "line-claimed", [m.claimed_total for m in months]),
        ]
        dates = [m.month for m in months]
        # Two drawings of one chart: CSS shows the one that fits, so the type stays legible.
        charts = {
            "wide": line_chart(dates, series),
            "compact": line_chart(dates, series, width=400, height=300, labels=4),
        }
    context = {
        "totals": totals,
        "claimed_percent": percent(totals["claimed"], totals["organisations"]),
        "verified_percent": percent(totals["verified"], totals["organisations"]),
        "table": table,
        "months": months,
        "months_newest_first": months[::-1],
        "charts": charts,
        "progress": progress,
        "outcomes": _partnership_outcomes() if with_outcomes else None,
    }
    response = render(request, "community/coverage.html", context)
    if with_outcomes:
        response["Vary"] = "HX-Request"
    return response


def _partnership_outcomes() -> dict:
    """Calls, responses and partnerships by stage, field and country, with bar lengths in percent."""
    # partnerships builds on community: read it here, not at import time.
    from partnerships.selectors import outcome_figures

    figures = outcome_figures()
    for key in ("by_stage", "by_field"):
        top = max((row["calls"] for row in figures[key]), default=0)
        for row in figures[key]:
            row["bar"] = round(100 * row["calls"] / top, 1) if top else 0
    top = max((row["calls_seeking"] for row in figures["by_country"]), default=0)
    for row in figures["by_country"]:
        row["bar"] = round(100 * row["calls_seeking"] / top, 1) if top else 0
    return figures
