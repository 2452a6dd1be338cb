"""Reads of the coverage page: how much of the sector the directory maps.

The directory is public, so these figures are too. Each function runs a fixed
number of grouped queries, however many organisations and countries there are.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from community.charts import ValueClass, class_of, classify, percent
from community.countries import country_name
from community.maps import collation_key
from community.models import CoverageTarget, Organisation, Stage

GOAL_PERCENT = 90


# Actors by country and stage


@dataclass
class StageCell:
    stage: Stage
    count: int
    heat: int


@dataclass
class CountryRow:
    code: str
    name: str
    total: int
    claimed: int
    verified: int
    unstaged: int  # no stage stated: what the country's actors could still tell us
    cells: list[StageCell] = field(default_factory=list)

    @property
    def claimed_percent(self) -> float | None:
        return percent(self.claimed, self.total)

    @property
    def verified_percent(self) -> float | None:
        return percent(self.verified, self.total)


@dataclass
class CountryStageTable:
    stages: list[Stage]
    rows: list[CountryRow]  # countries with actors, the most first
    stage_totals: list[int]
    unstaged: int
    total: int
    heat_classes: list[ValueClass]

    @property
    def stage_totals_by_stage(self) -> list[tuple[Stage, int]]:
        return list(zip(self.stages, self.stage_totals, strict=True))


def country_stage_table() -> CountryStageTable:
    """Actors per country and value-chain stage (an actor counts once in each of its stages)."""
    stages = list(Stage.objects.all())
    through = Organisation.stages.through.objects
    per_country = (
        Organisation.objects.order_by()
        .values("country")
        .annotate(
            total=Count("id"),
            claimed=Count("id", filter=Q(claimed=True)),
            verified=Count("id", filter=Q(verified=True)),
            unstaged=Count("id", filter=~Exists(through.filter(organisation_id=OuterRef("pk")))),
        )
    )
    # The through table holds one row per (organisation, stage), so no distinct is needed.
    cells = {
        (country, stage_id): n
        for country, stage_id, n in through.order_by()
        .values_list("organisation__country", "stage_id")
        .annotate(n=Count("organisation_id"))
    }
    heat_classes = classify(cells.values())
    rows = []
    for r in per_country:
        code = r["country"]
        row = CountryRow(
            code=code,
            name=country_name(code),
            total=r["total"],
            claimed=r["claimed"],
            verified=r["verified"],
            unstaged=r["unstaged"],
        )
        for stage in stages:
            n = cells.get((code, stage.pk), 0)
            row.cells.append(StageCell(stage, n, class_of(n, heat_classes)))
        rows.append(row)
    rows.sort(key=lambda r: (-r.total, collation_key(r.name)))
    return CountryStageTable(
        stages=stages,
        rows=rows,
        stage_totals=[sum(r.cells[i].count for r in rows) for i in range(len(stages))],
        unstaged=sum(r.unstaged for r in rows),
        total=sum(r.total for r in rows),
        heat_classes=heat_classes,
    )


# Growth


@dataclass
class Month:
    month: date
    listed: int
    listed_total: int
    claimed: int
    claimed_total: int


def _month(value) -> date:
    # TruncMonth gives an aware datetime in the current time zone on every backend.
    if hasattr(value, "date"):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return value.replace(day=1)


def growth_by_month(*, until: date | None = None) -> list[Month]:
    """Actors listed and profiles claimed in each month, and the running totals.

    An actor created by its own members counts as claimed when it was listed;
    a profile given up again no longer counts. Months without news are kept,
    so the series is even.
    """
    listed = dict(
        Organisation.objects.order_by()
        .annotate(month=TruncMonth("created_at"))
        .values_list("month")
        .annotate(n=Count("id"))
    )
    claimed = dict(
        Organisation.objects.filter(claimed=True)
        .order_by()
        .annotate(month=TruncMonth(Coalesce("claimed_at", "created_at")))
        .values_list("month")
        .annotate(n=Count("id"))
    )
    listed_by_month: dict[date, int] = {}
    claimed_by_month: dict[date, int] = {}
    for source, target in ((listed, listed_by_month), (claimed, claimed_by_month)):
        for month, n in source.items():
            key = _month(month)
            target[key] = target.get(key, 0) + n
    if not listed_by_month:
        return []
    first = min(listed_by_month.keys() | claimed_by_month.keys())
    last = max([*listed_by_month, *claimed_by_month, _month(until or timezone.localdate())])
    months = []
    listed_total = claimed_total = 0
    current = first
    while current <= last:
        n_listed = listed_by_month.get(current, 0)
        n_claimed = claimed_by_month.get(current, 0)
        listed_total += n_listed
        claimed_total += n_claimed
        months.append(Month(current, n_listed, listed_total, n_claimed, claimed_total))
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


# Progress towards the goal


@dataclass
class TargetRow:
    code: str
    name: str
    mapped: int
    estimated: int
    source: str

    @property
    def percent(self) -> float | None:
        return percent(self.mapped, self.estimated)

    @property
    def bar_percent(self) -> float:
        return min(100.0, self.percent or 0.0)

    @property
    def reached(self) -> bool:
        return (self.percent or 0) >= GOAL_PERCENT


@dataclass
class Progress:
    rows: list[TargetRow]
    mapped: int  # in countries with an estimate, each counted up to its estimate
    estimated: int
    goal: int = GOAL_PERCENT

    @property
    def percent(self) -> float | None:
        return percent(self.mapped, self.estimated)

    @property
    def bar_percent(self) -> float:
        return min(100.0, self.percent or 0.0)

    @property
    def countries_reached(self) -> int:
        return sum(1 for r in self.rows if r.reached)


def coverage_progress(*, per_country: dict[str, int]) -> Progress:
    """Mapped against estimated actors, where platform admins entered an estimate.

    A country mapped beyond its estimate counts for its estimate only, so that
    one country's surplus does not hide another's gap.
    """
    rows = [
        TargetRow(
            code=t.country.code,
            name=country_name(t.country.code),
            mapped=per_country.get(t.country.code, 0),
            estimated=t.estimated_actors,
            source=t.source,
        )
        for t in CoverageTarget.objects.all()
    ]
    rows.sort(key=lambda r: ((r.percent or 0), collation_key(r.name)))
    return Progress(
        rows=rows,
        mapped=sum(min(r.mapped, r.estimated) for r in rows),
        estimated=sum(r.estimated for r in rows),
    )
