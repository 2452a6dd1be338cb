#!/usr/bin/env python
"""Builds community/demo/organisations.json: a few hundred real European actors.

    .venv/bin/python scripts/build_demo_fixture.py [--data /work/shared/data]

From the open data sets (see community/demo/ATTRIBUTION.md):

- ~150 EMA marketing-authorisation holders, the biologics makers first, with
  the country inferred from their names and fields from their medicines
  (community/importing/ema.py); stages production and post-commercialisation;
- ~80 university hospitals of the GISCO file, with city and coordinates;
  stages research and post-commercialisation;
- ~120 universities of the EU, the EEA, Switzerland and the UK whose names
  say life sciences, medicine, pharmacy, veterinary science or technology;
  stages training and research.

Hospitals and universities are picked round-robin over countries so every
country shows up. The output is sorted and deterministic: running the script
again on the same data gives the same file. `manage.py load_demo` loads it
through the import code.
"""

import argparse
import json
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from community.countries import EU27, country_name, normalise_country  # noqa: E402
from community.importing import ema, readers  # noqa: E402
from community.importing.cleaning import fix_mojibake, name_key, normalise_url, squash, tidy_city  # noqa: E402
from community.importing.engine import PORTAL_LIMIT  # noqa: E402
from community.importing.presets import PRESETS, UNIVERSITY_HOSPITAL  # noqa: E402
from community.text import website_domain  # noqa: E402

OUT = ROOT / "community" / "demo" / "organisations.json"
DEFAULT_DATA = Path(os.environ.get("BIOMANUFACTURING_DATA_DIR", "/work/shared/data"))
EUROPE_CORE = EU27 | {"IS", "LI", "NO", "CH", "GB"}  # the EU, the EEA, Switzerland and the UK

HOLDERS = 150
HOSPITALS = 80
UNIVERSITIES = 120

LIFE_SCIENCES = re.compile(
    r"(?i)medic|medizin|médec|medec|pharm|life science|biolog|biotech|veterin|tierärzt|health|"
    r"santé|salud|saúde|zdrow|karolinska|charité|naturwissenschaft"
)
TECHNOLOGY = re.compile(r"(?i)technolog|technische|technical|politecnic|polytechn")


def round_robin(groups: dict[str, list[dict]], limit: int) -> list[dict]:
    """Up to `limit` items, taking one per group in turn (groups in sorted order)."""
    queues = {k: list(v) for k, v in sorted(groups.items())}
    picked: list[dict] = []
    while len(picked) < limit and any(queues.values()):
        for key in list(queues):
            if queues[key] and len(picked) < limit:
                picked.append(queues[key].pop(0))
    return picked


def holders(data: Path) -> list[dict]:
    records, _header, _enc = readers.read(data / PRESETS["ema-holders"].file)
    candidates = []
    for record in ema.holders(records):
        row = record.data
        if not row["name"] or row["country"] not in EUROPE_CORE or not row["authorised"]:
            continue
        candidates.append(row)
    # Makers of biologics first (the fields say so), then those with most medicines authorised.
    candidates.sort(key=lambda r: (-len(r["fields"]), -r["authorised"], r["name"]))
    return [
        {
            "name": r["name"],
            "kind": "company",
            "country": r["country"],
            "description": r["description"],
            "stages": ["production", "post-commercialisation"],
            "fields": r["fields"],
            "source_id": f"ema:{r['source_id']}"[:120],
        }
        for r in candidates[:HOLDERS]
    ]


def hospitals(data: Path) -> list[dict]:
    records, _header, _enc = readers.read(data / PRESETS["gisco-hospitals"].file)
    # A portal serving hundreds of hospitals (helsenorge.no) is no hospital's website.
    domains = Counter(website_domain(r.data["url"]) for r in records if r.data["url"])
    seen: set[tuple[str, str]] = set()
    by_country: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        row = record.data
        name = fix_mojibake(squash(row["hospital_name"]))
        country = normalise_country(row["cc"])
        if not name or country not in EUROPE_CORE or not UNIVERSITY_HOSPITAL.search(name):
            continue
        if "\ufffd" in name or not row["lat"] or not row["city"]:
            continue
        key = (name_key(name), country)
        if key in seen:
            continue
        seen.add(key)
        city = tidy_city(fix_mojibake(squash(row["city"])))
        website = normalise_url(row["url"]) or ""
        if domains[website_domain(website)] > PORTAL_LIMIT:
            website = ""
        by_country[country].append(
            {
                "name": name,
                "kind": "hospital",
                "country": country,
                "city": city,
                "latitude": round(float(row["lat"]), 5),
                "longitude": round(float(row["lon"]), 5),
                "website": website,
                "description": f"University hospital in {city}, {country_name(country)}.",
                "stages": ["research", "post-commercialisation"],
                "fields": [],
                "source_id": f"gisco:{row['id']}",
            }
        )
    for items in by_country.values():
        # Whole hospitals before their departments ("..., Psychiatry, Ward 3").
        items.sort(key=lambda o: ("," in o["name"], len(o["name"]), o["name"]))
    return round_robin(by_country, HOSPITALS)


def universities(data: Path) -> list[dict]:
    records, _header, _enc = readers.read(data / PRESETS["hipo-universities"].file)
    seen: set[tuple[str, str]] = set()
    by_country: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        row = record.data
        name = squash(row.get("name"))
        country = normalise_country(row.get("alpha_two_code"))
        life = bool(LIFE_SCIENCES.search(name))
        if not name or country not in EUROPE_CORE or not (life or TECHNOLOGY.search(name)):
            continue
        key = (name_key(name), country)
        if key in seen:
            continue
        seen.add(key)
        website = normalise_url(readers.get_path(row, "web_pages.0") or "") or ""
        by_country[country].append(
            {
                "name": name,
                "kind": "research",
                "country": country,
                "website": website,
                "description": f"University in {country_name(country)}.",
                "stages": ["training", "research"],
                "fields": [],
                "source_id": f"hipo:{readers.get_path(row, 'domains.0') or name_key(name)}"[:120],
                "_rank": 0 if life else 1,
            }
        )
    for items in by_country.values():
        # Medicine, pharmacy and life sciences before technology in general.
        items.sort(key=lambda o: (o.pop("_rank"), o["name"]))
    return round_robin(by_country, UNIVERSITIES)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder of the open data sets"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    organisations = holders(args.data) + hospitals(args.data) + universities(args.data)
    organisations.sort(key=lambda o: (o["kind"], o["country"], o["name"]))
    # Drop empty values: the file stays small and the import treats absent as empty.
    organisations = [{k: v for k, v in o.items() if v not in ("", [], None)} for o in organisations]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(organisations, ensure_ascii=False, indent=1) + "\n"
    args.out.write_text(text, encoding="utf-8")
    kinds = defaultdict(int)
    for o in organisations:
        kinds[o["kind"]] += 1
    countries = len({o["country"] for o in organisations})
    print(
        f"Wrote {len(organisations)} organisations ({dict(kinds)}) from {countries} countries, "
        f"{len(text.encode()) / 1024:.0f} KB, to {args.out.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
