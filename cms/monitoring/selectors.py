"""Every read of the monitoring feed that people see.

Items are public news, so nothing here filters by permission; the selection
is the person's: the fields they follow and the fields of their
organisations. Counts of calls go through partnerships' own selector, so a
call restricted to some groups is counted only for those who may see it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.monitoring.models import FeedItem
from community.charts import Series, line_chart
from community.models import Field, Organisation, Stage

ItemFields = FeedItem.fields.through
ItemStages = FeedItem.stages.through

PERIODS = {
    "7": (7, gettext_lazy("Last 7 days")),
    "30": (30, gettext_lazy("Last 30 days")),
    "90": (90, gettext_lazy("Last 3 months")),
    "365": (365, gettext_lazy("Last 12 months")),
}
SOURCES = {
    "news": ((FeedItem.Kind.NEWS, FeedItem.Kind.PAGE), gettext_lazy("News from the platform")),
    "event": ((FeedItem.Kind.EVENT,), gettext_lazy("Events")),
    "story": ((FeedItem.Kind.STORY,), gettext_lazy("Success stories")),
    "external": ((FeedItem.Kind.EXTERNAL,), gettext_lazy("External sources")),
}


# Whose fields


@dataclass
class OrganisationFields:
    pk: int
    name: str
    slug: str
    field_ids: set[int]
    field_list: list[Field] = field(default_factory=list)


@dataclass
class Preferences:
    """What makes a person's feed: fields followed, and their organisations' fields."""

    followed: set[int]
    organisations: list[OrganisationFields]
    fields: dict[int, Field]  # every field, by id

    @property
    def wanted(self) -> set[int]:
        wanted = set(self.followed)
        for org in self.organisations:
            wanted |= org.field_ids
        return wanted

    @property
    def organisation_field_ids(self) -> set[int]:
        return (
            set().union(*(o.field_ids for o in self.organisations)) if self.organisations else set()
        )

    def followed_fields(self) -> list[Field]:
        return [f for f in self.fields.values() if f.pk in self.followed]

    def reasons(self, item: FeedItem) -> list[str]:
        """Why `item` is in this person's feed, one sentence per cause."""
        item_fields = [f for f in item.fields.all() if f.pk in self.fields]
        reasons = []
        followed = [f.name for f in item_fields if f.pk in self.followed]
        if followed:
            reasons.append(
                _("You follow %(fields)s") % {"fields": get_text_list(followed, _("and"))}
            )
        for org in self.organisations:
            shared = [f.name for f in item_fields if f.pk in org.field_ids]
            if shared:
                reasons.append(
                    _("%(organisation)s works on %(fields)s")
                    % {"organisation": org.name, "fields": get_text_list(shared, _("and"))}
                )
        return reasons


def preferences_of(user) -> Preferences:
    """Two queries, whatever the number of fields and organisations."""
    fields = {f.pk: f for f in Field.objects.only("id", "slug", "name", "category", "position")}
    followed = set(user.interests.values_list("pk", flat=True))
    organisations: dict[int, OrganisationFields] = {}
    rows = (
        Organisation.objects.filter(memberships__user=user)
        .order_by("name")
        .values_list("pk", "name", "slug", "fields")
    )
    for pk, name, slug, field_id in rows:
        org = organisations.setdefault(pk, OrganisationFields(pk, name, slug, set()))
        if field_id:
            org.field_ids.add(field_id)
    for org in organisations.values():
        org.field_list = [f for f in fields.values() if f.pk in org.field_ids]
    return Preferences(followed=followed, organisations=list(organisations.values()), fields=fields)


# The personal feed


@dataclass
class FeedQuery:
    field: str = ""
    stage: str = ""
    source: str = ""
    period: str = ""

    @classmethod
    def from_params(cls, params) -> "FeedQuery":
        def one(name: str, allowed=None) -> str:
            value = (params.get(name) or "").strip()[:80]
            return value if allowed is None or value in allowed else ""

        return cls(
            field=one("field"),
            stage=one("stage"),
            source=one("source", SOURCES),
            period=one("period", PERIODS),
        )

    def as_params(self) -> list[tuple[str, str]]:
        return [
            (k, v)
            for k, v in (
                ("field", self.field),
                ("stage", self.stage),
                ("source", self.source),
                ("period", self.period),
            )
            if v
        ]

    @property
    def filtered(self) -> bool:
        return bool(self.as_params())


def items_visible() -> QuerySet[FeedItem]:
    return FeedItem.objects.filter(hidden=False)


def _with_fields(qs: QuerySet[FeedItem], field_ids) -> QuerySet[FeedItem]:
    return qs.filter(
        Exists(ItemFields.objects.filter(feeditem_id=OuterRef("pk"), field_id__in=field_ids))
    )


def feed_items_for(
    prefs: Preferences, query: FeedQuery, *, now: datetime | None = None
) -> QuerySet[FeedItem]:
    """The person's items, newest first. A field filter may name a field they do not
    follow: then it shows that field's items, the way to look before following."""
    qs = items_visible()
    chosen = (
        next((f for f in prefs.fields.values() if f.slug == query.field), None)
        if query.field
        else None
    )
    if chosen is not None:
        qs = _with_fields(qs, [chosen.pk])
    elif query.field:
        return qs.none()
    else:
        qs = _with_fields(qs, prefs.wanted)
    if query.stage:
        qs = qs.filter(
            Exists(ItemStages.objects.filter(feeditem_id=OuterRef("pk"), stage__slug=query.stage))
        )
    if query.source:
        qs = qs.filter(kind__in=SOURCES[query.source][0])
    if query.period:
        qs = qs.filter(
            published_at__gte=(now or timezone.now()) - timedelta(days=PERIODS[query.period][0])
        )
    return qs.order_by("-published_at", "-id")


def item_cards(qs: QuerySet[FeedItem]) -> QuerySet[FeedItem]:
    """What an item card shows, in a fixed number of queries."""
    return (
        qs.select_related("feed")
        .only(
            "id",
            "kind",
            "link",
            "title",
            "summary",
            "published_at",
            "feed_id",
            "page_id",
            "feed__name",
        )
        .prefetch_related(
            Prefetch(
                "fields", queryset=Field.objects.only("id", "slug", "name", "category", "position")
            ),
            Prefetch("stages", queryset=Stage.objects.only("id", "slug", "name", "position")),
        )
    )


def popular_fields(*, days: int = 90, limit: int = 8, exclude=()) -> list[Field]:
    """Fields with the most items lately: what to suggest to someone who follows nothing."""
    since = timezone.now() - timedelta(days=days)
    counts = (
        ItemFields.objects.filter(feeditem__hidden=False, feeditem__published_at__gte=since)
        .exclude(field_id__in=exclude)
        .values("field_id")
        .annotate(n=Count("*"))
        .order_by("-n")[:limit]
    )
    ids = [row["field_id"] for row in counts]
    if len(ids) < limit:  # a young platform: fill with the taxonomy's first modalities
        ids += list(
            Field.objects.exclude(pk__in=[*ids, *exclude]).values_list("pk", flat=True)[
                : limit - len(ids)
            ]
        )
    by_id = Field.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


# Tendencies


def month_starts(count: int, *, today: date) -> list[date]:
    """The first days of the last `count` months, oldest first, this month last."""
    year, month = today.year, today.month
    starts = []
    for _i in range(count):
        starts.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return starts[::-1]


@dataclass
class FieldTrend:
    field: Field
    monthly: list[int]
    total: int
    this_month: int
    previous_average: float  # the three months before this one
    organisations: int = 0
    open_calls: int = 0
    followed: bool = False

    @property
    def change(self) -> float:
        return self.this_month - self.previous_average

    @property
    def change_percent(self) -> int | None:
        if not self.previous_average:
            return None
        return round(100 * self.change / self.previous_average)


@dataclass
class Tendencies:
    months: list[date]
    trends: list[FieldTrend]
    charted: list[FieldTrend] = field(default_factory=list)
    rising: list[FieldTrend] = field(default_factory=list)
    charts: dict | None = None
    total_items: int = 0

    @property
    def months_newest_first(self) -> list[tuple[date, list[int]]]:
        return [
            (m, [t.monthly[i] for t in self.charted])
            for i, m in reversed(list(enumerate(self.months)))
        ]


CHART_SERIES = 5


def tendencies(*, viewer, months: int = 12, followed: set[int] | None = None) -> Tendencies:
    """Items per field and month, the fields rising fastest this month, and beside them the
    directory's and the open calls' figures for the same fields. A fixed number of queries."""
    from community.selectors import organisation_list_visible
    from partnerships.selectors import calls_visible

    months = max(months, 4)  # "rising" compares with the three months before this one
    today = timezone.localdate()
    starts = month_starts(months, today=today)
    window_start = timezone.make_aware(datetime.combine(starts[0], datetime.min.time()))
    index = {(m.year, m.month): i for i, m in enumerate(starts)}
    rows = (
        ItemFields.objects.filter(feeditem__hidden=False, feeditem__published_at__gte=window_start)
        .annotate(month=TruncMonth("feeditem__published_at"))
        .values("field_id", "month")
        .annotate(n=Count("*"))
        .order_by()
    )
    per_field: dict[int, list[int]] = defaultdict(lambda: [0] * len(starts))
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime):
            month = timezone.localtime(month) if timezone.is_aware(month) else month
        i = index.get((month.year, month.month))
        if i is not None:
            per_field[row["field_id"]][i] += row["n"]
    total_items = items_visible().filter(published_at__gte=window_start).count()

    organisations = dict(
        Organisation.fields.through.objects.filter(
            organisation__in=organisation_list_visible(viewer=viewer)
        )
        .values_list("field_id")
        .annotate(n=Count("organisation_id", distinct=True))
        .order_by()
    )
    from partnerships.models import Call

    open_calls = calls_visible(viewer).filter(
        status=Call.Status.PUBLISHED, deadline__gt=timezone.now()
    )
    calls = dict(
        Call.fields.through.objects.filter(call__in=open_calls)
        .values_list("field_id")
        .annotate(n=Count("call_id", distinct=True))
        .order_by()
    )
    followed = followed or set()
    trends = []
    for f in Field.objects.only("id", "slug", "name", "category", "position"):
        monthly = per_field.get(f.pk, [0] * len(starts))
        if not (sum(monthly) or organisations.get(f.pk) or calls.get(f.pk) or f.pk in followed):
            continue
        trends.append(
            FieldTrend(
                field=f,
                monthly=monthly,
                total=sum(monthly),
                this_month=monthly[-1],
                previous_average=round(sum(monthly[-4:-1]) / 3, 1),
                organisations=organisations.get(f.pk, 0),
                open_calls=calls.get(f.pk, 0),
                followed=f.pk in followed,
            )
        )
    trends.sort(key=lambda t: (-t.total, -t.organisations, t.field.name))
    result = Tendencies(months=starts, trends=trends, total_items=total_items)
    result.charted = [t for t in trends if t.total][:CHART_SERIES]
    result.rising = sorted(
        (t for t in trends if t.this_month and t.change > 0),
        key=lambda t: (-t.change, -(t.change_percent or 10_000), t.field.name),
    )[:5]
    if result.charted:
        series = [
            Series(t.field.name, f"line-s{i + 1}", t.monthly) for i, t in enumerate(result.charted)
        ]
        result.charts = {
            "wide": line_chart(starts, series),
            "compact": line_chart(starts, series, width=400, height=300, labels=4),
        }
    return result


def field_by_slug(slug: str) -> Field | None:
    return Field.objects.filter(slug=slug).first()


def stages_all() -> QuerySet[Stage]:
    return Stage.objects.only("id", "slug", "name", "position")


def items_since(prefs: Preferences, *, since: datetime, until: datetime) -> QuerySet[FeedItem]:
    """The person's new items in a period (the weekly digest)."""
    return (
        _with_fields(items_visible(), prefs.wanted)
        .filter(published_at__gte=since, published_at__lt=until)
        .order_by("-published_at", "-id")
    )
