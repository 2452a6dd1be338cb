"""Organisation search: one folded document per organisation, searched two ways.

On PostgreSQL the document feeds a weighted tsvector (name A, the rest B) kept
in `search_vector` with a GIN index, and queries are prefix matches ranked by
`ts_rank`. On SQLite every term must appear in the folded document. Folding
(lower case, no accents) happens in Python on both sides, so "Sanofi Pasteur"
matches "sanofi pasteur" and "Universitat" matches "Universität".
"""

from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case, F, FloatField, QuerySet, Value, When

from community.countries import country_name
from community.text import normalise_name, search_terms, website_domain

VECTOR = SearchVector("normalised_name", weight="A", config="simple") + SearchVector(
    "search_document", weight="B", config="simple"
)


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def document_for(org, stage_names: Iterable[str], field_names: Iterable[str]) -> str:
    parts = [
        org.name,
        org.city,
        country_name(str(org.country)),
        str(org.country),
        str(org.get_kind_display()),
        org.description,
        org.offers,
        *stage_names,
        *field_names,
    ]
    return normalise_name(" ".join(p for p in parts if p))


def index(organisations: QuerySet) -> int:
    """Recomputes the derived search columns of `organisations`; returns how many."""
    from community.models import Organisation

    rows = list(organisations.prefetch_related("stages", "fields"))
    for org in rows:
        org.normalised_name = normalise_name(org.name)
        org.website_domain = website_domain(org.website)
        org.search_document = document_for(
            org, [s.name for s in org.stages.all()], [f.name for f in org.fields.all()]
        )
    Organisation.objects.bulk_update(
        rows, ["normalised_name", "website_domain", "search_document"], batch_size=500
    )
    if rows:
        refresh_vectors(Organisation.objects.filter(pk__in=[o.pk for o in rows]))
    return len(rows)


def refresh_vectors(organisations: QuerySet) -> None:
    """Rebuilds the tsvector from the stored folded columns, in the database."""
    if on_postgres():
        organisations.update(search_vector=VECTOR)
    directory_changed()


def directory_version() -> int:
    """Bumped whenever what the directory shows may have changed; part of every facet cache key."""
    return cache.get_or_set("directory:version", 1, None)


def directory_changed() -> None:
    """Makes every cached facet count stale: now, and again once this transaction commits
    (a request that recounted in between saw the data before the commit)."""

    def bump():
        try:
            cache.incr("directory:version")
        except ValueError:
            cache.set("directory:version", 2, None)

    bump()
    transaction.on_commit(bump)


def raw_tsquery(terms: list[str]) -> str:
    # Terms are [0-9a-z]+ after search_terms(), so they are safe in a raw tsquery.
    return " & ".join(f"{t}:*" for t in terms)


def apply(qs: QuerySet, query: str) -> tuple[QuerySet, bool]:
    """Filters `qs` by a free-text query; returns it and whether it is ranked."""
    terms = search_terms(query)
    if not terms:
        return qs, False
    if on_postgres():
        tsquery = SearchQuery(raw_tsquery(terms), search_type="raw", config="simple")
        qs = qs.filter(search_vector=tsquery).annotate(rank=SearchRank(F("search_vector"), tsquery))
        return qs, True
    for term in terms:
        qs = qs.filter(search_document__contains=term)
    # Without ts_rank, rank by how many terms the name itself holds.
    in_name = [
        Case(When(normalised_name__contains=t, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
        for t in terms
    ]
    return qs.annotate(rank=sum(in_name[1:], in_name[0])), True
