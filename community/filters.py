"""Reads a directory query from request parameters, for the page and the API alike.

Each facet takes repeated parameters (`country=FR&country=DE`) or a comma
list (`country=FR,DE`). The page drops values it does not know; the API
(`strict=True`) answers 400 naming them.
"""

from django.utils.translation import gettext as _

from community.countries import EUROPE, normalise_country
from community.models import Field, Organisation, Stage
from community.selectors import DirectoryQuery

MAX_QUERY_LENGTH = 200
MAX_VALUES_PER_FACET = 60


class InvalidQuery(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def _values(params, name: str) -> list[str]:
    values: list[str] = []
    for raw in params.getlist(name):
        # PostgreSQL refuses NUL in text: such a value can only be junk, so it is dropped.
        values.extend(v.strip() for v in raw.split(",") if v.strip() and "\x00" not in v)
    # Order-preserving de-duplication keeps URLs stable.
    return list(dict.fromkeys(values))[:MAX_VALUES_PER_FACET]


def parse_directory_query(params, *, strict: bool = False) -> DirectoryQuery:
    errors: dict[str, list[str]] = {}
    q = (params.get("search") or params.get("q") or "").replace("\x00", "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        if strict:
            errors["search"] = [_("At most %d characters.") % MAX_QUERY_LENGTH]
        q = q[:MAX_QUERY_LENGTH]

    countries = []
    bad = []
    for value in _values(params, "country"):
        code = normalise_country(value)
        (countries.append(code) if code in EUROPE else bad.append(value))
    if bad:
        errors["country"] = [_("Unknown country codes: %s") % ", ".join(bad)]

    kinds, bad = [], []
    for value in _values(params, "kind"):
        (kinds.append(value) if value in Organisation.Kind.values else bad.append(value))
    if bad:
        errors["kind"] = [_("Unknown kinds: %s") % ", ".join(bad)]

    stage_values = _values(params, "stage")
    field_values = _values(params, "field")
    known_stages = set(Stage.objects.filter(slug__in=stage_values).values_list("slug", flat=True)) if stage_values else set()
    known_fields = set(Field.objects.filter(slug__in=field_values).values_list("slug", flat=True)) if field_values else set()
    stages = [v for v in stage_values if v in known_stages]
    fields = [v for v in field_values if v in known_fields]
    if len(stages) != len(stage_values):
        errors["stage"] = [_("Unknown stages: %s") % ", ".join(v for v in stage_values if v not in known_stages)]
    if len(fields) != len(field_values):
        errors["field"] = [_("Unknown fields: %s") % ", ".join(v for v in field_values if v not in known_fields)]

    if strict and errors:
        raise InvalidQuery(errors)
    truthy = {"1", "true", "yes", "on"}
    return DirectoryQuery(
        q=q,
        country=list(dict.fromkeys(countries)),
        kind=kinds,
        stage=stages,
        field=fields,
        verified=(params.get("verified") or "").lower() in truthy,
        claimed=(params.get("claimed") or "").lower() in truthy,
        order="newest" if params.get("order") == "newest" else "",
    )


def query_params(query: DirectoryQuery) -> list[tuple[str, str]]:
    """The query as URL parameters, in a stable order."""
    params: list[tuple[str, str]] = []
    if query.q:
        params.append(("q", query.q))
    for name in ("country", "kind", "stage", "field"):
        params.extend((name, v) for v in getattr(query, name))
    if query.verified:
        params.append(("verified", "1"))
    if query.claimed:
        params.append(("claimed", "1"))
    if query.order:
        params.append(("order", query.order))
    return params
