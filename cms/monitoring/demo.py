"""Demo content of the monitoring feed: real EU authorisations of biologics, and feed configurations.

`demo/ema_authorisations.json` holds facts from the European Medicines
Agency's medicines report (data as of about May 2025; credit: "Source:
European Medicines Agency"): every advanced therapy medicinal product, and
the biologics authorised since 2023, each with its marketing-authorisation
date and EPAR address. `manage.py build_monitoring_demo CSV` rebuilds it from
the report. `load()` turns it into feed items of an inactive "EMA" feed,
tagged by the tagging rules; a second run changes nothing.
"""

import csv
import importlib
import json
import re
from datetime import date, datetime, time
from pathlib import Path

from django.db import transaction
from django.utils import timezone

FIXTURE = Path(__file__).parent / "demo" / "ema_authorisations.json"
SINCE = date(2023, 1, 1)
CREDIT = "Source: European Medicines Agency."

# Inactive: the quick start runs without internet. Check an address before activating it.
FEEDS = (
    # Where the demo's items come from: EMA's medicines report (a download, not a feed).
    {
        "name": "European Medicines Agency (medicines report)",
        "url": "https://www.ema.europa.eu/en/medicines/download-medicine-data",
        "active": False,
    },
    # An example of a sector news feed an editor might add (address not checked offline).
    {
        "name": "Fierce Biotech",
        "url": "https://www.fiercebiotech.com/rss/xml",
        "active": False,
    },
)


def _column(row: dict, start: str) -> str:
    for key, value in row.items():
        if key and " ".join(key.split()).startswith(start):
            return (value or "").strip()
    return ""


def _date(value: str) -> date | None:
    try:
        return datetime.strptime(value.strip(), "%d/%m/%Y").date()
    except ValueError:
        return None


def _modality_patterns() -> list[re.Pattern]:
    from cms.monitoring.tagging import keyword_pattern

    seed = importlib.import_module("cms.monitoring.migrations.0002_default_tagging_rules")
    technologies = {
        "gmp-quality",
        "supply-chain",
        "sustainability",
        "digitalisation",
        "analytics-qc",
        "formulation",
    }
    return [
        re.compile("|".join(keyword_pattern(k) for k in words))
        for slug, words in seed.FIELD_RULES.items()
        if slug not in technologies
    ]


def build_fixture(csv_path: str | Path) -> list[dict]:
    """The demo's authorisations from EMA's medicines report (CSV), oldest first."""
    from cms.monitoring.tagging import normalise_text

    patterns = _modality_patterns()
    records = []
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("Category") != "Human" or row.get("Medicine status") != "Authorised":
                continue
            authorised = _date(_column(row, "Marketing authorisation date"))
            url = _column(row, "Medicine URL")
            if not authorised or not url.startswith("https://www.ema.europa.eu/"):
                continue
            record = {
                "name": _column(row, "Name of medicine"),
                "inn": _column(row, "International non-proprietary name")
                or _column(row, "Active substance"),
                "area": "; ".join(
                    a.strip() for a in _column(row, "Therapeutic area").split(";") if a.strip()
                ),
                "group": "; ".join(
                    g.strip()
                    for g in _column(row, "Pharmacotherapeutic group (human)").split(";")
                    if g.strip()
                ),
                "holder": " ".join(_column(row, "Marketing authorisation developer").split()),
                "authorised": authorised.isoformat(),
                "url": url,
                "advanced_therapy": _column(row, "Advanced therapy") == "Yes",
                "biosimilar": _column(row, "Biosimilar") == "Yes",
                "orphan": _column(row, "Orphan medicine") == "Yes",
                "conditional": _column(row, "Conditional approval") == "Yes",
            }
            text = normalise_text(" ".join([record["name"], record["inn"], record["group"]]))
            biologic = (
                record["advanced_therapy"]
                or record["biosimilar"]
                or any(p.search(text) for p in patterns)
            )
            if record["advanced_therapy"] or (biologic and authorised >= SINCE):
                records.append(record)
    records.sort(key=lambda r: (r["authorised"], r["name"]))
    return records


def title_of(record: dict) -> str:
    inn = record["inn"]
    if inn and len(inn) <= 80 and inn.lower() != record["name"].lower():
        return f"{record['name']} ({inn}) authorised in the EU"
    return f"{record['name']} authorised in the EU"


def summary_of(record: dict) -> str:
    parts = [
        f"The European Commission granted a marketing authorisation valid throughout the EU to {record['name']}"
    ]
    if len(record["inn"]) > 80:
        parts[0] += f" ({record['inn']})"
    parts[0] += "."
    if record["holder"]:
        parts.append(f"Holder: {record['holder'].rstrip('.')}.")
    if record["area"]:
        parts.append(f"Therapeutic area: {record['area']}.")
    if record["group"]:
        parts.append(f"Pharmacotherapeutic group: {record['group']}.")
    kinds = []
    if record["advanced_therapy"]:
        kinds.append("an advanced therapy medicinal product")
    if record["biosimilar"]:
        kinds.append("a biosimilar")
    if record["orphan"]:
        kinds.append("an orphan medicine")
    if record["conditional"]:
        kinds.append("a conditional marketing authorisation")
    if kinds:
        parts.append(
            "It is " + ", ".join(kinds[:-1]) + (" and " if len(kinds) > 1 else "") + kinds[-1] + "."
        )
    parts.append(CREDIT)
    return " ".join(parts)


def load(*, fixture: Path = FIXTURE) -> int:
    """Adds the demo feeds and items; returns how many items were created."""
    from cms.monitoring import services
    from cms.monitoring.models import ExternalFeed, FeedItem
    from cms.monitoring.tagging import Ruleset, Tags

    records = json.loads(fixture.read_text(encoding="utf-8"))
    feeds = [
        ExternalFeed.objects.get_or_create(
            url=f["url"], defaults={"name": f["name"], "active": f["active"]}
        )[0]
        for f in FEEDS
    ]
    ema = feeds[0]
    ruleset = Ruleset.active()
    brussels = timezone.get_default_timezone()
    created = 0
    with transaction.atomic():
        for record in records:
            if FeedItem.objects.filter(link=record["url"]).exists():
                continue
            title, summary = title_of(record), summary_of(record)
            published_at = timezone.make_aware(
                datetime.combine(date.fromisoformat(record["authorised"]), time(12)), brussels
            )
            item = FeedItem.objects.create(
                kind=FeedItem.Kind.EXTERNAL,
                feed=ema,
                link=record["url"],
                title=title,
                normalised_title=services.normalise_title(title),
                summary=summary,
                published_at=published_at,
            )
            tags = ruleset.tags_for(title, summary)
            services.tags_set(item, Tags(tags.fields, tags.stages))
            created += 1
        ExternalFeed.objects.filter(pk=ema.pk).update(
            item_count=FeedItem.objects.filter(feed=ema).count()
        )
    return created
