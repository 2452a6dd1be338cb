"""The directory: search with facets, and the value-chain view."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import render
from django.utils.translation import gettext as _

from community import selectors
from community.countries import country_name
from community.filters import parse_directory_query, query_params
from community.models import Field, Organisation, Stage

PAGE_SIZE = 20


def _without(params: list[tuple[str, str]], name: str, value: str) -> str:
    return urlencode([(k, v) for k, v in params if not (k == name and v == value)])


def directory(request):
    query = parse_directory_query(request.GET)
    results = selectors.organisation_search(viewer=request.user, query=query)
    page = Paginator(selectors.organisation_cards(results), PAGE_SIZE).get_page(request.GET.get("page"))
    params = query_params(query)
    facets = selectors.directory_facets_cached(viewer=request.user, query=query, key=urlencode(params))

    labels = {
        "country": {f.value: f.label for f in facets["country"]},
        "kind": dict(Organisation.Kind.choices),
        "stage": {f.value: f.label for f in facets["stage"]},
        "field": {f.value: f.label for f in facets["field"]},
    }
    active = [
        {"label": labels[name].get(value, value), "remove_url": "?" + _without(params, name, value)}
        for name in ("country", "kind", "stage", "field")
        for value in getattr(query, name)
    ]
    if query.q:
        active.insert(0, {"label": f"“{query.q}”", "remove_url": "?" + _without(params, "q", query.q)})

    context = {
        "query": query,
        "page": page,
        "facets": facets,
        "facet_titles": {
            "country": _("Country"),
            "kind": _("Kind"),
            "stage": _("Value-chain stage"),
            "field": _("Field"),
        },
        "active_filters": active,
        "querystring": urlencode(params),
        "map_url_query": urlencode([p for p in params if p[0] != "country"]),
    }
    template = "community/_directory_results.html" if request.htmx and not request.htmx.boosted else "community/directory.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def value_chain(request):
    """Actors of each stage, by field: a matrix people read across the chain."""
    stages = list(Stage.objects.all())
    fields = list(Field.objects.all())
    through = Organisation.stages.through.objects
    stage_totals = dict(through.order_by().values_list("stage_id").annotate(n=Count("organisation_id", distinct=True)))
    # Stage x field counts in one grouped query over the two join tables.
    rows = (
        Organisation.fields.through.objects.filter(
            organisation__stages__isnull=False
        )
        .order_by()
        .values_list("organisation__stages", "field_id")
        .annotate(n=Count("organisation_id", distinct=True))
    )
    cells = {(stage_id, field_id): n for stage_id, field_id, n in rows}
    max_n = max(cells.values(), default=0)
    matrix = []
    for f in fields:
        counts = [cells.get((s.pk, f.pk), 0) for s in stages]
        if any(counts):
            matrix.append({"field": f, "cells": [(s, n, _heat(n, max_n)) for s, n in zip(stages, counts, strict=True)]})
    columns = []
    for s in stages:
        top = sorted(
            ((f, cells.get((s.pk, f.pk), 0)) for f in fields if cells.get((s.pk, f.pk))),
            key=lambda pair: -pair[1],
        )
        columns.append({"stage": s, "total": stage_totals.get(s.pk, 0), "fields": top[:12]})
    return render(
        request,
        "community/value_chain.html",
        {"stages": stages, "columns": columns, "matrix": matrix, "country_name": country_name},
    )


def _heat(n: int, max_n: int) -> int:
    if not n or not max_n:
        return 0
    return min(5, 1 + int(4 * n / max_n))
