"""Every read of calls, responses and partnerships that a person sees.

Who sees a call: its organisation's call managers, always (drafts included);
everyone signed in once it is published (closed and expired calls stay
readable), or only the active members of its chosen working groups when its
audience is `groups`; an organisation that responded keeps seeing it; platform
reviewers see calls waiting for review.

An anonymous call hides its organisation from everyone but the organisation's
own people and the organisations whose response it accepted: `shown_organisation`.
"""

from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import cached_property

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.http import Http404
from django.utils import timezone

from community.countries import country_name
from community.models import Field, Organisation, OrganisationMembership, Stage
from community.text import search_terms
from partnerships import permissions
from partnerships.models import Call, CallCountry, Partnership, Response

S = Call.Status
LISTED = (S.PUBLISHED, S.CLOSED, S.EXPIRED)
REVIEW = "partnerships.review_call"


class Viewer:
    """What a user's reads of calls depend on, read once per request."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def signed_in(self) -> bool:
        return bool(self.user.is_authenticated and self.user.is_active)

    @cached_property
    def organisation_ids(self) -> set[int]:
        return permissions.member_organisation_ids(self.user)

    @cached_property
    def managed_ids(self) -> set[int]:
        return permissions.managed_organisation_ids(self.user)

    @cached_property
    def is_reviewer(self) -> bool:
        return self.signed_in and self.user.is_staff and self.user.has_perm(REVIEW)

    @cached_property
    def accepted_call_ids(self) -> set[int]:
        """Calls that accepted a response of one of my organisations: their name is revealed to me."""
        if not self.organisation_ids:
            return set()
        return set(
            Response.objects.filter(
                organisation_id__in=self.organisation_ids, status=Response.Status.ACCEPTED
            ).values_list("call_id", flat=True)
        )

    def manages(self, call: Call) -> bool:
        return call.organisation_id in self.managed_ids or (self.signed_in and self.user.is_superuser)

    def sees_organisation(self, call: Call) -> bool:
        return not call.anonymous or call.organisation_id in self.organisation_ids or call.pk in self.accepted_call_ids


def viewer_of(user_or_viewer) -> Viewer:
    return user_or_viewer if isinstance(user_or_viewer, Viewer) else Viewer(user_or_viewer)


def shown_organisation(call: Call, viewer) -> Organisation | None:
    """The call's organisation if `viewer` may know it, else None (an anonymous call)."""
    return call.organisation if viewer_of(viewer).sees_organisation(call) else None


def _my_group_ids(user):
    from workgroups.models import Membership

    return Membership.objects.filter(user=user, status=Membership.Status.ACTIVE).values("workgroup_id")


def calls_visible(viewer) -> QuerySet[Call]:
    viewer = viewer_of(viewer)
    if not viewer.signed_in:
        return Call.objects.none()
    if viewer.user.is_superuser:
        return Call.objects.all()
    audience = Q(audience=Call.Audience.MEMBERS) | Q(
        Exists(Call.workgroups.through.objects.filter(call_id=OuterRef("pk"), workgroup_id__in=_my_group_ids(viewer.user)))
    )
    rule = Q(status__in=LISTED) & audience
    if viewer.managed_ids:
        rule |= Q(organisation_id__in=viewer.managed_ids)
    if viewer.organisation_ids:
        rule |= Q(status__in=LISTED) & Q(
            Exists(Response.objects.filter(call_id=OuterRef("pk"), organisation_id__in=viewer.organisation_ids))
        )
    if viewer.is_reviewer:
        rule |= Q(status=S.REVIEW)
    return Call.objects.filter(rule)


def call_get_visible(viewer, pk) -> Call:
    try:
        return calls_visible(viewer).select_related("organisation").get(pk=int(pk))
    except (Call.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def call_cards(qs: QuerySet[Call]) -> QuerySet[Call]:
    """What a call card shows, in a fixed number of queries."""
    return (
        qs.select_related("organisation")
        .defer("search_document", "description", "description_html", "organisation__search_document", "organisation__search_vector", "organisation__description", "organisation__offers")
        .prefetch_related(
            Prefetch("stages", queryset=Stage.objects.only("id", "slug", "name", "position")),
            Prefetch("fields", queryset=Field.objects.only("id", "slug", "name", "category", "position")),
            Prefetch("country_rows", queryset=CallCountry.objects.order_by("country")),
        )
    )


# The list and its facets


@dataclass
class CallQuery:
    """A call search; within a facet values are OR'ed. `state`: open (default), closed or all."""

    q: str = ""
    kind: list[str] = dc_field(default_factory=list)
    stage: list[str] = dc_field(default_factory=list)
    field: list[str] = dc_field(default_factory=list)
    country: list[str] = dc_field(default_factory=list)
    state: str = "open"
    deadline_before: object = None  # a date: calls closing by then
    organisation: str = ""  # a slug: that organisation's named calls

    def as_saved(self) -> dict:
        return {k: v for k, v in {"q": self.q, "kind": self.kind, "stage": self.stage, "field": self.field, "country": self.country}.items() if v}

    def is_empty(self) -> bool:
        return not (self.q or self.kind or self.stage or self.field or self.country)


def _filtered(qs: QuerySet, query: CallQuery, skip: str | None = None) -> QuerySet:
    for term in search_terms(query.q):
        qs = qs.filter(search_document__contains=term)
    if query.kind and skip != "kind":
        qs = qs.filter(kind__in=query.kind)
    if query.stage and skip != "stage":
        qs = qs.filter(pk__in=Call.stages.through.objects.filter(stage__slug__in=query.stage).values("call_id"))
    if query.field and skip != "field":
        qs = qs.filter(pk__in=Call.fields.through.objects.filter(field__slug__in=query.field).values("call_id"))
    if query.country and skip != "country":
        # A call that seeks all of Europe matches every country.
        qs = qs.filter(Q(all_europe=True) | Q(pk__in=CallCountry.objects.filter(country__in=query.country).values("call_id")))
    if query.deadline_before:
        qs = qs.filter(deadline__date__lte=query.deadline_before)
    if query.organisation:
        qs = qs.filter(organisation__slug=query.organisation, anonymous=False)
    return qs


def _state(qs: QuerySet, state: str) -> QuerySet:
    now = timezone.now()
    if state == "open":
        return qs.filter(status=S.PUBLISHED, deadline__gt=now)
    if state == "closed":
        return qs.filter(Q(status__in=(S.CLOSED, S.EXPIRED)) | Q(status=S.PUBLISHED, deadline__lte=now))
    return qs.filter(status__in=LISTED)


def call_search(viewer, query: CallQuery) -> QuerySet[Call]:
    qs = _filtered(_state(calls_visible(viewer), query.state), query)
    if query.state == "open":
        return qs.order_by("deadline", "pk")
    return qs.order_by("-deadline", "-pk")


def call_facets(viewer, query: CallQuery) -> dict[str, list[dict]]:
    """Counts per value, each facet counted under every other filter but its own."""
    base = _state(calls_visible(viewer), query.state)
    facets = {}
    rows = dict(_filtered(base, query, "kind").order_by().values_list("kind").annotate(n=Count("*")))
    facets["kind"] = [
        {"value": k, "label": str(label), "count": rows.get(k, 0), "selected": k in query.kind}
        for k, label in Call.Kind.choices
    ]

    def linked(through, column: str, skip: str) -> dict[int, int]:
        ids = _filtered(base, query, skip).values("pk")
        return dict(through.objects.filter(call_id__in=ids).order_by().values_list(column).annotate(n=Count("*")))

    counts = linked(Call.stages.through, "stage_id", "stage")
    facets["stage"] = [
        {"value": s.slug, "label": s.name, "count": counts.get(s.pk, 0), "selected": s.slug in query.stage}
        for s in Stage.objects.all()
    ]
    counts = linked(Call.fields.through, "field_id", "field")
    facets["field"] = sorted(
        (
            {"value": f.slug, "label": f.name, "count": counts.get(f.pk, 0), "selected": f.slug in query.field}
            for f in Field.objects.all()
            if counts.get(f.pk) or f.slug in query.field
        ),
        key=lambda f: (-f["count"], f["label"]),
    )
    ids = _filtered(base, query, "country").values("pk")
    counts = dict(CallCountry.objects.filter(call_id__in=ids).order_by().values_list("country").annotate(n=Count("*")))
    everywhere = _filtered(base, query, "country").filter(all_europe=True).count()
    facets["country"] = sorted(
        (
            {"value": c, "label": country_name(c), "count": n + everywhere, "selected": c in query.country}
            for c, n in counts.items()
        ),
        key=lambda f: (-f["count"], f["label"]),
    )
    facets["all_europe"] = everywhere
    return facets


# Calls for you


@dataclass
class Match:
    call: Call
    score: int
    fields: list[str]
    stages: list[str]
    country: str  # the viewer's country when the call seeks it by name, else ""

    @property
    def reasons(self) -> list[str]:
        return [*self.fields, *self.stages, *([self.country] if self.country else [])]


def profile_for_matching(viewer, organisation: Organisation | None = None) -> tuple[Organisation | None, set[int], set[int], str]:
    """(organisation, field ids, stage ids, country) matched against calls.

    The viewer's organisation (the one given, which must be theirs, or their
    first); without one, the user's fields of interest.
    """
    viewer = viewer_of(viewer)
    if organisation is None and viewer.organisation_ids:
        membership = (
            OrganisationMembership.objects.filter(user=viewer.user)
            .select_related("organisation")
            .order_by("role", "created_at")  # where they are an admin first
            .first()
        )
        organisation = membership.organisation if membership else None
    if organisation is not None and organisation.pk in viewer.organisation_ids:
        fields = set(organisation.fields.values_list("pk", flat=True))
        stages = set(organisation.stages.values_list("pk", flat=True))
        return organisation, fields, stages, str(organisation.country)
    fields = set(viewer.user.interests.values_list("pk", flat=True)) if viewer.signed_in else set()
    return None, fields, set(), ""


def calls_for_you(
    viewer, *, organisation: Organisation | None = None, limit: int = 20, offset: int = 0, published_since=None
) -> tuple[list[Match], int]:
    """Open calls matched to the viewer's organisation by field, stage and country, best first.

    A call matches when it shares a field or a stage with the organisation and
    seeks its country (or all of Europe). Score: 3 per shared field, 2 per
    shared stage, 1 when the call names the country. Own calls and calls
    already answered are left out; `published_since` keeps the calls first
    published then or later. Returns the page and the total.

    One query counts the shared fields and stages of every candidate through
    joins (correlated sub-queries per call cost 2 to 6 index probes per open
    call and, at 5,000 calls, tens of ms of PostgreSQL's JIT: tests/bench/README.md);
    Python scores and orders them, and the page's cards are read by id. A
    matching call that does not seek all of Europe names the viewer's country:
    the filter guarantees it, so the country point needs no query.
    """
    viewer = viewer_of(viewer)
    _org, fields, stages, country = profile_for_matching(viewer, organisation)
    if not (fields or stages):
        return [], 0
    qs = _state(calls_visible(viewer), "open")
    if published_since is not None:
        qs = qs.filter(published_at__gte=published_since)
    if viewer.organisation_ids:
        qs = qs.exclude(organisation_id__in=viewer.organisation_ids).exclude(
            Exists(Response.objects.filter(call_id=OuterRef("pk"), organisation_id__in=viewer.organisation_ids))
        )
    if country:
        qs = qs.filter(Q(all_europe=True) | Exists(CallCountry.objects.filter(call_id=OuterRef("pk"), country=country)))
    linked = Q()
    if fields:
        linked |= Q(pk__in=Call.fields.through.objects.filter(field_id__in=fields).values("call_id"))
    if stages:
        linked |= Q(pk__in=Call.stages.through.objects.filter(stage_id__in=stages).values("call_id"))
    rows = (
        qs.filter(linked)
        .annotate(
            f=Count("fields", filter=Q(fields__in=fields), distinct=True) if fields else Value(0),
            s=Count("stages", filter=Q(stages__in=stages), distinct=True) if stages else Value(0),
        )
        .order_by()
        .values_list("pk", "deadline", "all_europe", "f", "s")
    )
    scored = []
    for pk, deadline, everywhere, shared_fields, shared_stages in rows:
        names_country = bool(country) and not everywhere
        score = 3 * shared_fields + 2 * shared_stages + names_country
        scored.append((-score, deadline, pk, names_country))
    scored.sort()
    page = scored[offset : offset + limit]
    cards = call_cards(Call.objects.filter(pk__in=[row[2] for row in page])).in_bulk()
    matches = []
    for minus_score, _deadline, pk, names_country in page:
        call = cards[pk]
        matches.append(
            Match(
                call=call,
                score=-minus_score,
                fields=[f.name for f in call.fields.all() if f.pk in fields],
                stages=[s.name for s in call.stages.all() if s.pk in stages],
                country=country if names_country else "",
            )
        )
    return matches, len(scored)


# Responses and partnerships


def responses_visible(viewer, call: Call) -> QuerySet[Response]:
    """The call's managers see every response; a responding organisation's people see their own."""
    viewer = viewer_of(viewer)
    qs = Response.objects.filter(call=call).select_related("organisation", "created_by", "conversation")
    if viewer.manages(call):
        return qs
    return qs.filter(organisation_id__in=viewer.organisation_ids)


def response_get_visible(viewer, call: Call, pk) -> Response:
    try:
        return responses_visible(viewer, call).get(pk=int(pk))
    except (Response.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def my_responses(viewer) -> QuerySet[Response]:
    viewer = viewer_of(viewer)
    return (
        Response.objects.filter(organisation_id__in=viewer.organisation_ids)
        .select_related("call", "call__organisation", "organisation")
        .order_by("-updated_at")
    )


def my_calls(viewer) -> QuerySet[Call]:
    viewer = viewer_of(viewer)
    return Call.objects.filter(organisation_id__in=viewer.managed_ids).order_by("-updated_at")


def partnerships_public(organisation: Organisation) -> QuerySet[Partnership]:
    """Partnerships both sides agreed to show: on the organisation's profile."""
    return (
        Partnership.objects.filter(Q(publisher=organisation) | Q(partner=organisation), publisher_shows=True, partner_shows=True)
        .select_related("publisher", "partner", "call")
    )


def partnerships_of(viewer) -> QuerySet[Partnership]:
    viewer = viewer_of(viewer)
    ids = viewer.organisation_ids
    return (
        Partnership.objects.filter(Q(publisher_id__in=ids) | Q(partner_id__in=ids))
        .select_related("publisher", "partner", "call")
    )


def outcome_figures() -> dict:
    """Calls, responses and partnerships per stage, field and country: for the coverage page.

    Counts only published, closed or expired calls; an anonymous call counts
    under its stages and fields, never under its organisation's country.
    """
    listed = Call.objects.filter(status__in=LISTED)
    totals = {
        "calls": listed.count(),
        "open": listed.filter(status=S.PUBLISHED, deadline__gt=timezone.now()).count(),
        "responses": Response.objects.filter(call__status__in=LISTED).count(),
        "partnerships": Partnership.objects.count(),
    }

    def per(through, column: str, names: dict[int, str]) -> list[dict]:
        calls = dict(through.objects.filter(call__status__in=LISTED).order_by().values_list(column).annotate(n=Count("*")))
        responses = dict(
            through.objects.filter(call__status__in=LISTED).order_by().values_list(column).annotate(n=Count("call__responses"))
        )
        partnerships = dict(
            through.objects.filter(call__status__in=LISTED).order_by().values_list(column).annotate(n=Count("call__partnerships"))
        )
        return [
            {"label": label, "calls": calls.get(pk, 0), "responses": responses.get(pk, 0), "partnerships": partnerships.get(pk, 0)}
            for pk, label in names.items()
            if calls.get(pk)
        ]

    by_stage = per(Call.stages.through, "stage_id", dict(Stage.objects.values_list("pk", "name")))
    by_field = sorted(per(Call.fields.through, "field_id", dict(Field.objects.values_list("pk", "name"))), key=lambda r: -r["calls"])
    partner_countries = dict(Partnership.objects.order_by().values_list("partner__country").annotate(n=Count("*")))
    sought = dict(CallCountry.objects.filter(call__status__in=LISTED).order_by().values_list("country").annotate(n=Count("*")))
    by_country = sorted(
        (
            {"code": c, "label": country_name(c), "calls_seeking": sought.get(c, 0), "partnerships": partner_countries.get(c, 0)}
            for c in set(sought) | set(partner_countries)
        ),
        key=lambda r: (-r["calls_seeking"] - r["partnerships"], r["label"]),
    )
    return {"totals": totals, "by_stage": by_stage, "by_field": by_field, "by_country": by_country}
