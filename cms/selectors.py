"""What the CMS pages read, from Wagtail and from the rest of the platform.

Listings show live pages without view restrictions only (`live().public()`),
with what a card shows fetched in a fixed number of queries. Working groups
appear only as the reader may see them (workgroups.selectors).
"""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from wagtail.models import Page

from community import selectors as community_selectors
from community.models import Field, Organisation, Stage
from workgroups.models import Workgroup

CARD_RENDITIONS = ("fill-640x360-c80", "fill-320x180-c80")


def _card_image_prefetch(lookup: str = "listing_image") -> Prefetch:
    from wagtail.images import get_image_model

    return Prefetch(
        lookup, queryset=get_image_model().objects.prefetch_renditions(*CARD_RENDITIONS)
    )


def _tag_prefetches() -> list[Prefetch]:
    return [
        Prefetch(
            "fields", queryset=Field.objects.only("id", "slug", "name", "category", "position")
        ),
        Prefetch("stages", queryset=Stage.objects.only("id", "slug", "name", "position")),
    ]


def _tagged(qs: QuerySet, *, fields: list[str] | None, stages: list[str] | None) -> QuerySet:
    """Pages tagged with any of these fields and any of these stages; subqueries keep one row per page."""
    for name, slugs in (("fields", fields), ("stages", stages)):
        if slugs:
            m2m = qs.model._meta.get_field(name)
            links = m2m.remote_field.through.objects.filter(
                **{f"{m2m.m2m_reverse_field_name()}__slug__in": slugs}
            )
            qs = qs.filter(pk__in=links.values(m2m.m2m_field_name()))
    return qs


def _cards(qs: QuerySet) -> QuerySet:
    return (
        qs.live()
        .public()
        .defer_streamfields()
        .prefetch_related(_card_image_prefetch(), *_tag_prefetches())
    )


def _under(qs: QuerySet, parent: Page | None) -> QuerySet:
    return qs.child_of(parent) if parent is not None else qs


def news_list(*, parent: Page | None = None, fields=None, stages=None) -> QuerySet:
    from cms.models import NewsArticlePage

    qs = _under(NewsArticlePage.objects.all(), parent)
    return _cards(_tagged(qs, fields=fields, stages=stages)).order_by("-first_published_at", "-pk")


def story_list(*, parent: Page | None = None, fields=None, stages=None) -> QuerySet:
    from cms.models import StoryPage

    qs = _under(StoryPage.objects.all(), parent)
    return _cards(_tagged(qs, fields=fields, stages=stages)).order_by("-first_published_at", "-pk")


def events_upcoming(*, parent: Page | None = None, fields=None, stages=None) -> QuerySet:
    """Events not over yet, the soonest first."""
    from cms.models import EventPage

    qs = _under(EventPage.objects.filter(ends_at__gt=timezone.now()), parent)
    return _cards(_tagged(qs, fields=fields, stages=stages)).order_by("starts_at", "pk")


def events_past(*, parent: Page | None = None, fields=None, stages=None) -> QuerySet:
    from cms.models import EventPage

    qs = _under(EventPage.objects.filter(ends_at__lte=timezone.now()), parent)
    return _cards(_tagged(qs, fields=fields, stages=stages)).order_by("-starts_at", "-pk")


def panorama_list(*, parent: Page) -> QuerySet:
    from cms.models import PanoramaPage

    return (
        PanoramaPage.objects.child_of(parent)
        .live()
        .public()
        .defer_streamfields()
        .select_related("field", "stage")
        .prefetch_related(_card_image_prefetch())
        .order_by("path")
    )


@dataclass
class TagChoice:
    slug: str
    name: str
    selected: bool


def tag_choices(*, fields: list[str], stages: list[str]) -> dict[str, list[TagChoice]]:
    """The filters of a listing: every field and stage, the chosen ones marked."""
    return {
        "fields": [
            TagChoice(f.slug, f.name, f.slug in fields)
            for f in Field.objects.only("slug", "name", "category", "position")
        ],
        "stages": [
            TagChoice(s.slug, s.name, s.slug in stages)
            for s in Stage.objects.only("slug", "name", "position")
        ],
    }


# Working groups and organisations featured in stories


def workgroups_visible_to(user, groups: list[Workgroup]) -> list[Workgroup]:
    """The groups of `groups` this reader may see, in the given order.

    Signed-in readers: what workgroup_list_visible allows (public and
    members-only groups, and secret groups they belong to). Anonymous readers:
    public groups only. A group left out leaves no trace, not even its name.
    """
    from workgroups.selectors import workgroup_list_visible

    if not groups:
        return []
    ids = [g.pk for g in groups]
    if user is not None and user.is_authenticated:
        allowed = set(
            workgroup_list_visible(user=user).filter(pk__in=ids).values_list("pk", flat=True)
        )
    else:
        allowed = {g.pk for g in groups if g.visibility == Workgroup.Visibility.PUBLIC}
    return [g for g in groups if g.pk in allowed]


def story_featured(*, story, viewer) -> dict:
    """The story's organisations and the groups this reader may see, with what their cards show."""
    links = list(story.featured_organisations.all())
    org_ids = [link.organisation_id for link in links]
    organisations = {
        o.pk: o
        for o in Organisation.objects.filter(pk__in=org_ids).only(
            "pk", "name", "slug", "country", "city", "kind", "logo", "verified", "claimed"
        )
    }
    group_ids = [link.workgroup_id for link in story.featured_workgroups.all()]
    by_id = {
        g.pk: g
        for g in Workgroup.objects.filter(pk__in=group_ids).only("pk", "name", "slug", "visibility")
    }
    groups = [by_id[pk] for pk in group_ids if pk in by_id]
    return {
        "featured_organisations": [organisations[pk] for pk in org_ids if pk in organisations],
        "featured_workgroups": workgroups_visible_to(viewer, groups),
    }


# The home page


def home_figures(*, viewer) -> dict:
    totals = community_selectors.directory_totals()
    latest = list(
        community_selectors.organisation_cards(
            community_selectors.organisation_list_visible(viewer=viewer)
            .filter(claimed=True)
            .order_by("-created_at")
        )[:6]
    )
    kinds = dict(Organisation.Kind.choices)
    return {"totals": totals, "latest_organisations": latest, "kinds": kinds}


def interest_ids(viewer) -> set[int]:
    if not viewer.is_authenticated:
        return set()
    return set(viewer.interests.values_list("pk", flat=True))


def mark_interests(pages, interests: set[int]) -> list:
    """Sets `matching_fields` on each page: the reader's fields of interest it is tagged with."""
    pages = list(pages)
    for page in pages:
        page.matching_fields = (
            [f for f in page.fields.all() if f.pk in interests] if interests else []
        )
    return pages


def featured_stories(home) -> list:
    from cms.models import StoryPage

    story_ids = [link.story_id for link in home.featured_stories.all()]
    if not story_ids:
        return []
    by_id = {s.pk: s for s in _cards(StoryPage.objects.filter(pk__in=story_ids))}
    return [by_id[pk] for pk in story_ids if pk in by_id]


def calls_for(viewer, limit: int = 3) -> dict:
    """Open partnership calls matched to the reader, with the reasons, for the home page."""
    if not viewer.is_authenticated:
        return {"calls_for_you": [], "calls_for_you_total": 0}
    from partnerships import selectors as partnership_selectors

    seen = partnership_selectors.viewer_of(viewer)
    matches, total = partnership_selectors.calls_for_you(seen, limit=limit)
    for match in matches:
        match.shown_org = partnership_selectors.shown_organisation(match.call, seen)
    return {"calls_for_you": matches, "calls_for_you_total": total}


HOME_NEWS = 4
HOME_EVENTS = 3


def home_context(*, page, viewer) -> dict:
    interests = interest_ids(viewer)
    context = home_figures(viewer=viewer)
    context["latest_news"] = mark_interests(news_list()[:HOME_NEWS], interests)
    context["upcoming_events"] = list(events_upcoming()[:HOME_EVENTS])
    context["stories"] = featured_stories(page)
    context["has_interests"] = bool(interests)
    context.update(calls_for(viewer))
    context.update(section_indexes())
    return context


def section_indexes() -> dict:
    """The live news, event and story indexes, for "All news" links: one query for the three."""
    from django.contrib.contenttypes.models import ContentType

    from cms.models import EventIndexPage, NewsIndexPage, StoryIndexPage

    names = {
        NewsIndexPage: "news_index",
        EventIndexPage: "event_index",
        StoryIndexPage: "story_index",
    }
    types = {ContentType.objects.get_for_model(model).pk: name for model, name in names.items()}
    found = {}
    # specific(defer=True): instances of the index classes (their routes give the feeds'
    # addresses) made from the base rows, without a query per type.
    for page in (
        Page.objects.live().filter(content_type_id__in=types).order_by("path").specific(defer=True)
    ):
        found.setdefault(types[page.content_type_id], page)
    return {name: found.get(name) for name in names.values()}


# Panorama pages


def panorama_figures(*, field: Field | None, stage: Stage | None) -> dict:
    from community.models import Organisation as Org

    if field is not None:
        qs = Org.objects.filter(
            pk__in=Org.fields.through.objects.filter(field=field).values("organisation_id")
        )
    else:
        qs = Org.objects.filter(
            pk__in=Org.stages.through.objects.filter(stage=stage).values("organisation_id")
        )
    return qs.aggregate(
        organisations=Count("id"),
        countries=Count("country", distinct=True),
        claimed=Count("id", filter=Q(claimed=True)),
        verified=Count("id", filter=Q(verified=True)),
    )


def panorama_context(*, panorama, viewer) -> dict:
    from community import maps
    from community.selectors import DirectoryQuery, organisations_per_country
    from partnerships import selectors as partnership_selectors

    field, stage = panorama.field, panorama.stage
    if field is None and stage is None:
        return {}
    query = DirectoryQuery(field=[field.slug] if field else [], stage=[stage.slug] if stage else [])
    counts = organisations_per_country(query=query)
    choropleth = maps.choropleth(counts, query=query)
    slug_filter = {"fields": [field.slug]} if field else {"stages": [stage.slug]}
    calls, calls_total = [], 0
    if viewer.is_authenticated:
        call_query = partnership_selectors.CallQuery(
            field=[field.slug] if field else [], stage=[stage.slug] if stage else []
        )
        open_calls = partnership_selectors.call_search(viewer, call_query)
        calls_total = open_calls.count()
        seen = partnership_selectors.viewer_of(viewer)
        calls = list(partnership_selectors.call_cards(open_calls)[:5])
        for call in calls:
            call.shown_org = partnership_selectors.shown_organisation(call, seen)
    return {
        "figures": panorama_figures(field=field, stage=stage),
        "map": choropleth,
        "directory_empty": not counts,
        "filtered": False,
        "sort": "count",
        "panorama_directory_url": maps.directory_url(query),
        "sort_urls": _map_sort_urls(query),
        "open_calls": calls,
        "open_calls_total": calls_total,
        "calls_url": _calls_url(field, stage),
        "panorama_news": list(news_list(**slug_filter)[:5]),
        "panorama_events": list(events_upcoming(**slug_filter)[:3]),
    }


def _map_sort_urls(query) -> dict[str, str]:
    from urllib.parse import urlencode

    from django.urls import reverse

    from community.filters import query_params

    params = query_params(query)
    url = reverse("community:map")
    return {
        "count": f"{url}?{urlencode(params)}",
        "name": f"{url}?{urlencode([*params, ('sort', 'name')])}",
    }


def _calls_url(field, stage) -> str:
    from urllib.parse import urlencode

    from django.urls import reverse

    param = ("field", field.slug) if field else ("stage", stage.slug)
    return f"{reverse('partnerships:call-list')}?{urlencode([param])}"


# Search


def search_pages(query: str):
    """Wagtail search over live public pages (PostgreSQL full-text search on PostgreSQL)."""
    return Page.objects.live().public().exclude(depth__lte=1).specific().search(query)
