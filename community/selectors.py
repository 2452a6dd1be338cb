"""Every read of users and organisations that a person sees."""

import hashlib
from dataclasses import dataclass
from dataclasses import field as dc_field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from community import search
from community.countries import country_name
from community.models import (
    Field,
    Organisation,
    OrganisationMembership,
    Stage,
    User,
)

FACETS = ("country", "kind", "stage", "field")


def user_has_verified_email(user: User) -> bool:
    from allauth.account.models import EmailAddress

    if not user.is_authenticated:
        return False
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


# Profiles


def profile_visible_q(viewer) -> Q:
    """Users whose profile `viewer` may see, as a filter on User."""
    if not viewer.is_authenticated:
        return Q(profile_visibility=User.Visibility.PUBLIC, is_active=True)
    colleagues = OrganisationMembership.objects.filter(
        organisation__memberships__user=viewer
    ).values("user_id")
    return Q(is_active=True) & (
        Q(profile_visibility__in=[User.Visibility.PUBLIC, User.Visibility.MEMBERS])
        | Q(pk__in=colleagues)
        | Q(pk=viewer.pk)
    )


def people_search(*, viewer, q: str, limit: int = 20) -> list[User]:
    """People whose profile the viewer may see, by name or job title (emails are not searchable)."""
    from community.text import search_terms

    terms = search_terms(q, limit=4)
    if not terms or not viewer.is_authenticated:
        return []
    qs = User.objects.filter(profile_visible_q(viewer)).exclude(pk=viewer.pk)
    for term in terms:
        qs = qs.filter(Q(display_name__icontains=term) | Q(job_title__icontains=term))
    return list(qs.order_by("display_name")[:limit])


def user_get_visible(*, viewer, user_id: int) -> User:
    try:
        return (
            User.objects.filter(profile_visible_q(viewer))
            .prefetch_related("interests", _listed_memberships())
            .get(pk=user_id)
        )
    except User.DoesNotExist:
        raise Http404 from None


def _listed_memberships() -> Prefetch:
    return Prefetch(
        "organisation_memberships",
        queryset=OrganisationMembership.objects.filter(listed=True).select_related("organisation"),
        to_attr="listed_memberships",
    )


# Organisations


def organisation_list_visible(*, viewer=None) -> QuerySet[Organisation]:
    """The directory is public: every organisation listed in it."""
    return Organisation.objects.all()


def organisation_get_visible(*, viewer, slug: str) -> Organisation:
    try:
        return (
            organisation_list_visible(viewer=viewer)
            .prefetch_related("stages", "fields")
            .get(slug=slug)
        )
    except Organisation.DoesNotExist:
        raise Http404 from None


def organisation_members_visible(*, viewer, organisation: Organisation) -> list[OrganisationMembership]:
    """Members who chose to be listed and whose profile the viewer may see."""
    return list(
        OrganisationMembership.objects.filter(organisation=organisation, listed=True)
        .filter(user__in=User.objects.filter(profile_visible_q(viewer)))
        .select_related("user")
        .order_by("-role", "user__display_name", "user__email")
    )


def organisation_memberships_managed(*, actor, organisation: Organisation) -> list[OrganisationMembership]:
    """Every membership, for the organisation's admins (caller checked the permission)."""
    return list(
        OrganisationMembership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("role", "user__email")
    )


def organisations_of(*, user) -> list[OrganisationMembership]:
    if not user.is_authenticated:
        return []
    return list(
        OrganisationMembership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")
    )


@dataclass
class DirectoryQuery:
    """A directory search: free text plus facets; within a facet values are OR'ed."""

    q: str = ""
    country: list[str] = dc_field(default_factory=list)
    kind: list[str] = dc_field(default_factory=list)
    stage: list[str] = dc_field(default_factory=list)
    field: list[str] = dc_field(default_factory=list)
    verified: bool = False
    claimed: bool = False
    order: str = ""

    def is_empty(self) -> bool:
        return not (self.q or self.country or self.kind or self.stage or self.field or self.verified or self.claimed)


def _filtered(qs: QuerySet, query: DirectoryQuery, skip: str | None = None) -> QuerySet:
    if query.country and skip != "country":
        qs = qs.filter(country__in=query.country)
    if query.kind and skip != "kind":
        qs = qs.filter(kind__in=query.kind)
    # Subqueries rather than joins: a join repeats an organisation per matching stage.
    if query.stage and skip != "stage":
        qs = qs.filter(pk__in=Organisation.stages.through.objects.filter(stage__slug__in=query.stage).values("organisation_id"))
    if query.field and skip != "field":
        qs = qs.filter(pk__in=Organisation.fields.through.objects.filter(field__slug__in=query.field).values("organisation_id"))
    if query.verified:
        qs = qs.filter(verified=True)
    if query.claimed:
        qs = qs.filter(claimed=True)
    return qs


def organisation_search(*, viewer, query: DirectoryQuery) -> QuerySet[Organisation]:
    """The directory's result list, ranked by relevance when there is text, else by name."""
    qs = organisation_list_visible(viewer=viewer)
    qs, ranked = search.apply(qs, query.q)
    qs = _filtered(qs, query)
    if query.order == "newest":
        return qs.order_by("-created_at", "pk")
    if ranked:
        return qs.order_by("-rank", "name", "pk")
    return qs.order_by("name", "pk")


def organisation_cards(qs: QuerySet[Organisation]) -> QuerySet[Organisation]:
    """What a result card shows, in a fixed number of queries."""
    # The derived search columns are large and never shown.
    return qs.defer("search_document", "search_vector").prefetch_related(
        Prefetch("stages", queryset=Stage.objects.only("id", "slug", "name", "position")),
        Prefetch("fields", queryset=Field.objects.only("id", "slug", "name", "category", "position")),
    )


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


def _linked_counts(through, column: str, base: QuerySet, query: DirectoryQuery, skip: str, unfiltered: bool) -> dict[int, int]:
    """Organisations per stage or field; straight from the link table when nothing filters."""
    links = through.objects.all()
    if not unfiltered:
        links = links.filter(organisation_id__in=_filtered(base, query, skip=skip).values("pk"))
    return dict(links.order_by().values_list(column).annotate(n=Count("*")))


def directory_facets(*, viewer, query: DirectoryQuery) -> dict[str, list[FacetValue]]:
    """Counts per facet value, each facet counted under every other filter but its own."""
    base = organisation_list_visible(viewer=viewer)
    base, ranked = search.apply(base, query.q)
    if ranked:
        base = base.order_by()
    facets: dict[str, list[FacetValue]] = {}

    # COUNT(*) lets PostgreSQL count from an index instead of reading every row.
    rows = _filtered(base, query, skip="country").order_by().values("country").annotate(n=Count("*"))
    facets["country"] = sorted(
        (FacetValue(r["country"], country_name(r["country"]), r["n"], r["country"] in query.country) for r in rows),
        key=lambda f: (-f.count, f.label),
    )
    kind_labels = dict(Organisation.Kind.choices)
    rows = _filtered(base, query, skip="kind").order_by().values("kind").annotate(n=Count("*"))
    counts = {r["kind"]: r["n"] for r in rows}
    facets["kind"] = [
        FacetValue(k, str(label), counts.get(k, 0), k in query.kind)
        for k, label in kind_labels.items()
        if counts.get(k) or k in query.kind
    ]

    def unfiltered_but(name: str) -> bool:
        others = DirectoryQuery(**{**query.__dict__, name: []})
        return others.is_empty()

    counts = _linked_counts(Organisation.stages.through, "stage_id", base, query, "stage", unfiltered_but("stage"))
    facets["stage"] = [FacetValue(s.slug, s.name, counts.get(s.pk, 0), s.slug in query.stage) for s in Stage.objects.all()]
    counts = _linked_counts(Organisation.fields.through, "field_id", base, query, "field", unfiltered_but("field"))
    facets["field"] = sorted(
        (
            FacetValue(f.slug, f.name, counts.get(f.pk, 0), f.slug in query.field)
            for f in Field.objects.all()
            if counts.get(f.pk) or f.slug in query.field
        ),
        key=lambda f: (-f.count, f.label),
    )
    return facets


def directory_facets_cached(*, viewer, query: DirectoryQuery, key: str) -> dict[str, list[FacetValue]]:
    """directory_facets, cached until the directory changes (search.directory_changed).

    Valid for every viewer because the directory is public; the language is in
    the key because labels are translated.
    """
    from django.core.cache import cache
    from django.utils.translation import get_language

    cache_key = f"directory:facets:{search.directory_version()}:{get_language()}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    facets = cache.get(cache_key)
    if facets is None:
        facets = directory_facets(viewer=viewer, query=query)
        cache.set(cache_key, facets, 600)
    return facets


# Figures for the home page, the map and the coverage page


def directory_totals() -> dict[str, int]:
    agg = Organisation.objects.aggregate(
        organisations=Count("id"),
        countries=Count("country", distinct=True),
        claimed=Count("id", filter=Q(claimed=True)),
        verified=Count("id", filter=Q(verified=True)),
    )
    agg["people"] = User.objects.filter(is_active=True).count()
    return agg


def organisations_per_country(*, query: DirectoryQuery | None = None) -> dict[str, int]:
    qs = Organisation.objects.all()
    if query is not None:
        qs, _ranked = search.apply(qs, query.q)
        qs = _filtered(qs, query, skip="country")
    return dict(qs.order_by().values_list("country").annotate(n=Count("id")))
