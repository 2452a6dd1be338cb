"""Feed items for the selection, digest and page tests: plain rows, tagged by hand."""

import itertools
from datetime import timedelta

from django.utils import timezone

from cms.monitoring import services
from cms.monitoring.models import ExternalFeed, FeedItem
from community.models import Field, Stage

_n = itertools.count(1)


def field(slug: str) -> Field:
    return Field.objects.get(slug=slug)


def feed(name: str = "EMA (test)") -> ExternalFeed:
    return ExternalFeed.objects.get_or_create(
        name=name, defaults={"url": f"https://example.org/{next(_n)}.xml"}
    )[0]


def item(
    title: str | None = None,
    *,
    fields=(),
    stages=(),
    days_ago: float = 1,
    kind: str = "external",
    hidden: bool = False,
    source=None,
) -> FeedItem:
    n = next(_n)
    title = title or f"News item number {n} about biomanufacturing"
    created = FeedItem.objects.create(
        kind=kind,
        feed=(source or feed()) if kind == "external" else None,
        link=f"https://example.org/news/{n}" if kind == "external" else f"/news/{n}/",
        title=title,
        normalised_title=services.normalise_title(title),
        summary=f"Summary of {title}.",
        published_at=timezone.now() - timedelta(days=days_ago),
        hidden=hidden,
    )
    created.fields.set(Field.objects.filter(slug__in=fields))
    created.stages.set(Stage.objects.filter(slug__in=stages))
    return created
