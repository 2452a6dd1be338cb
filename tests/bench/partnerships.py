"""Partnership benchmark: "calls for you" with 20,000 organisations and 5,000 calls on PostgreSQL.

    .venv/bin/python -m tests.bench.partnerships          # make bench-partnerships
    .venv/bin/python -m tests.bench.partnerships --requests 50 --keep
    DATABASE_URL=postgres://user:pw@db:5432/anything .venv/bin/python -m tests.bench.partnerships

Needs PostgreSQL. It creates its own database (`bench_partnerships` on the
server of DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test),
migrates it, and drops it at the end (unless --keep). It never touches the
database named in DATABASE_URL itself.

1. Builds a sample (organisations with their admins, 30 calls, their
   responses) twice, in transactions rolled back afterwards: through the
   services (organisation_create, call_create(publish=True), response_create,
   call_close, expire_one) and through this file's bulk builder, and checks
   that both leave the same rows.
2. Imports the open data sets with the import presets (as tests/bench/directory.py),
   adds synthetic organisations up to 20,000, gives them fields and stages,
   admins to the ~2,000 that publish, and builds 5,000 calls and ~10,000
   responses in bulk; then checks invariants over the whole database in SQL.
3. Times "calls for you" for four viewers (a CDMO with many fields in
   Germany, a company with one rare field, a member of four organisations,
   an organisation with an empty profile): the pages and the API when they
   exist, `selectors.calls_for_you` alone, and the call list with its facets,
   with PostgreSQL's own time (EXPLAIN ANALYZE) and the plans.
4. Checks that proto_calls_for_you (the proposed selector, at the end of this
   file) returns exactly the selector's matches, then times the "calls for
   you" scenarios under four variants in turn, request by request: the code as
   it is, the same with PostgreSQL's JIT off (SET jit = off), the prototype,
   and both. Nothing is changed outside this process and this database.

See tests/bench/README.md for what is measured and why.
"""

import argparse
import contextlib
import json
import logging
import os
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from tests.bench.directory import (
    DATA_DIR,
    DEFAULT_URL,
    PRESETS,
    RESULTS,
    ROOT,
    do_imports,
    percentile,
    recreate_database,
    with_database,
)
from tests.bench.workgroups import (
    FIRST_NAMES,
    JOB_TITLES,
    LAST_NAMES,
    GroupPlan,
    Plan,
    bulk_build,
    explain,
    git_commit,
    timed,
    weighted,
)

BENCH_DB = "bench_partnerships"
GOAL_MS = 100  # p95 of "calls for you" (issue 5)

# Where the sector's organisations are: synthetic ones and the countries calls name.
COUNTRY_WEIGHTS = {
    "DE": 15, "FR": 12, "GB": 9, "IT": 9, "ES": 8, "NL": 6, "BE": 5, "CH": 5, "PL": 4, "DK": 4,
    "SE": 4, "IE": 3, "AT": 3, "PT": 2, "CZ": 2, "FI": 2, "GR": 2, "HU": 2, "NO": 2, "TR": 1,
    "SI": 1, "HR": 1, "RO": 1, "BG": 1, "SK": 1, "LT": 1, "RS": 0.5, "LV": 0.5, "EE": 0.5,
    "LU": 0.5, "IS": 0.3, "MT": 0.3, "CY": 0.3,
}  # fmt: skip
LEGAL_FORMS = {
    "DE": "GmbH", "AT": "GmbH", "CH": "AG", "FR": "SAS", "BE": "NV", "IT": "S.r.l.", "ES": "S.L.",
    "PT": "Lda", "NL": "B.V.", "GB": "Ltd", "IE": "Ltd", "DK": "A/S", "NO": "AS", "SE": "AB",
    "FI": "Oy", "PL": "Sp. z o.o.", "CZ": "s.r.o.", "SK": "s.r.o.", "HU": "Kft.", "GR": "S.A.",
    "RO": "S.R.L.", "SI": "d.o.o.", "HR": "d.o.o.", "RS": "d.o.o.", "TR": "A.Ş.", "LT": "UAB",
}  # fmt: skip
CITIES = {
    "DE": ["Munich", "Berlin", "Heidelberg", "Marburg", "Mainz", "Hamburg", "Leipzig"],
    "FR": ["Lyon", "Paris", "Strasbourg", "Toulouse", "Nantes", "Lille"],
    "GB": ["Cambridge", "Oxford", "Edinburgh", "Manchester", "Stevenage"],
    "IT": ["Milan", "Siena", "Rome", "Turin", "Naples"],
    "ES": ["Barcelona", "Madrid", "Valencia", "Seville"],
    "NL": ["Leiden", "Utrecht", "Groningen", "Nijmegen"],
    "BE": ["Ghent", "Leuven", "Liège", "Gosselies"],
    "CH": ["Basel", "Geneva", "Zurich", "Lausanne"],
    "DK": ["Copenhagen", "Aarhus", "Kalundborg"],
    "SE": ["Stockholm", "Uppsala", "Lund", "Gothenburg"],
    "PL": ["Warsaw", "Kraków", "Łódź", "Poznań"],
    "IE": ["Dublin", "Cork", "Limerick"],
}
PREFIXES = [
    "Bio", "Cell", "Gen", "Vax", "Thera", "Cyto", "Immuno", "Vir", "Plasmo", "Nano", "Lipo",
    "Proteo", "Myco", "Ferm", "Medi", "Onco", "Helix", "Synth", "Axo", "Aqua", "Nova", "Vita",
]  # fmt: skip
SUFFIXES = [
    "gen",
    "vax",
    "cell",
    "thera",
    "bio",
    "logic",
    "tek",
    "med",
    "cure",
    "pharm",
    "vector",
    "lab",
    "form",
    "core",
]
ENDINGS = {
    "company": ["Therapeutics", "Biologics", "Biotech", "Pharma", "Biosciences", "Life Sciences"],
    "cdmo": ["Biomanufacturing", "Bioservices", "CDMO", "Manufacturing Services", "BioProduction"],
    "investor": ["Life Science Ventures", "Health Capital", "Bio Partners"],
    "other": ["Consulting", "Engineering", "Validation Services", "Cleanroom Solutions"],
}
# Kinds of the synthetic organisations (the imported ones are hospitals, universities, EMA holders).
SYNTHETIC_KINDS = (
    ("company", 0.50), ("cdmo", 0.16), ("research", 0.09), ("cluster", 0.05), ("training", 0.05),
    ("investor", 0.04), ("authority", 0.02), ("other", 0.09),
)  # fmt: skip
# How likely an organisation of a kind publishes calls (relative).
PUBLISHER_WEIGHT = {
    "company": 3.0, "cdmo": 4.0, "research": 2.0, "cluster": 1.5, "training": 1.0, "investor": 0.5,
    "other": 0.5, "authority": 0.3, "hospital": 0.3,
}  # fmt: skip
# Fields, most common first in profiles and calls (the rest of the taxonomy is appended).
FIELD_POPULARITY = [
    "monoclonal-antibodies", "analytics-qc", "gmp-quality", "vaccines", "cell-therapy",
    "recombinant-proteins", "downstream-processing", "upstream-processing", "gene-therapy",
    "fill-finish", "formulation", "viral-vectors", "biosimilars", "digitalisation", "mrna",
    "single-use", "cell-line-development", "fermentation", "supply-chain", "continuous-processing",
    "nanomedicine", "antibody-drug-conjugates", "tissue-engineering", "oligonucleotides",
    "plasmid-dna", "sustainability", "enzymes", "plasma-derived", "live-biotherapeutics",
]  # fmt: skip
# How many fields a profile names, by kind: most 1 to 4, hospitals often none.
FIELD_COUNTS = {
    "hospital": ((0, 0.45), (1, 0.30), (2, 0.15), (3, 0.07), (4, 0.03)),
    "default": (
        (0, 0.08),
        (1, 0.28),
        (2, 0.26),
        (3, 0.18),
        (4, 0.11),
        (5, 0.05),
        (6, 0.02),
        (8, 0.02),
    ),
}
STAGES_BY_KIND = {
    "company": (
        ("research", 0.35),
        ("process-development", 0.25),
        ("production", 0.30),
        ("post-commercialisation", 0.10),
    ),
    "cdmo": (("production", 0.55), ("process-development", 0.45)),
    "research": (("research", 0.8), ("training", 0.2)),
    "training": (("training", 1.0),),
    "cluster": (
        ("research", 0.3),
        ("production", 0.3),
        ("training", 0.2),
        ("post-commercialisation", 0.2),
    ),
    "investor": (("research", 0.5), ("process-development", 0.5)),
    "authority": (("post-commercialisation", 1.0),),
    "other": (("production", 0.4), ("process-development", 0.3), ("post-commercialisation", 0.3)),
    "hospital": (("post-commercialisation", 0.6), ("research", 0.4)),
}
CALL_KINDS = (
    ("technology-offer", 0.18), ("technology-request", 0.12), ("capacity-offer", 0.15),
    ("capacity-request", 0.12), ("rnd-partnership", 0.18), ("tech-transfer", 0.08),
    ("training", 0.07), ("consortium", 0.10),
)  # fmt: skip
TITLES = {
    "technology-offer": [
        "{F} platform available for licensing",
        "Our {f} technology, ready for partners",
        "Proprietary {f} process offered to developers",
    ],
    "technology-request": [
        "Looking for a {f} technology partner",
        "Seeking a proven {f} solution",
        "Wanted: {f} know-how for our pipeline",
    ],
    "capacity-offer": [
        "{F}: GMP capacity available from {q}",
        "Free {f} slots at our {c} site",
        "Spare {f} capacity, clinical and commercial scale",
    ],
    "capacity-request": [
        "Seeking {f} capacity for a phase {p} product",
        "CDMO wanted for {f}",
        "Need {f} slots in {q}",
    ],
    "rnd-partnership": [
        "R&D partner for {f} development",
        "Joint research on {f}",
        "Co-development of a {f} process",
    ],
    "tech-transfer": [
        "Tech transfer of a {f} process to a CMO",
        "Transfer partner for our {f} process",
        "Scale-up and transfer: {f}",
    ],
    "training": [
        "{F}: hands-on training for partners",
        "Training partner wanted: {f} skills",
        "GMP training in {f}",
    ],
    "consortium": [
        "Consortium on {f}: partners wanted",
        "Partners for a Horizon Europe bid on {f}",
        "IHI proposal: looking for {f} expertise",
    ],
}
SUMMARIES = [
    "We look for a partner with a track record in {f}, ideally with GMP experience and capacity within the year.",
    "Open to SMEs, academic groups and CDMOs: tell us what you bring on {f} and when you could start.",
    "A concrete project with budget: {f} work packages for a partner who can commit people and equipment.",
    "Short expressions of interest are welcome; we shortlist within two weeks and meet the best fits online.",
]
BULLETS = [
    "GMP experience (EU Annex 1) or a plan to reach it",
    "Capacity in the next two quarters",
    "Analytical methods transferable to our QC",
    "Experience with EMA scientific advice",
    "Clinical-scale batches (phase I/II)",
    "Willingness to share risk in a milestone-based contract",
    "Staff able to work on our site for the transfer",
    "Data shared under an agreed confidentiality framework",
]
QUESTIONS = [
    "What scale (litres or batches a year) can you offer?",
    "Which GMP certificates do you hold?",
    "When could you start?",
    "What comparable projects have you delivered?",
    "What is your indicative budget or price range?",
]
MESSAGES = [
    "We have run comparable projects on {f} for three clients and have a slot next quarter. Happy to share references.",
    "Our team works on {f} at pilot scale and would like to discuss a joint proposal. We can meet next week.",
    "We are interested: our site has free {f} capacity and an approved QP. Could we get the specification?",
    "This matches our roadmap on {f}. We can bring two FTEs and our analytical platform.",
]


@dataclass
class OrgSpec:
    name: str
    country: str
    kind: str
    stages: list[str]
    fields: list[str]


@dataclass
class ResponsePlan:
    org: int  # index into the build's organisation pks
    user: int  # index into the build's user pks
    message: str
    answers: list[str]
    created_at: datetime


@dataclass
class CallPlan:
    org: int
    creator: int
    kind: str
    title: str
    summary: str
    description: str
    topic_reference: str
    stages: list[str]
    fields: list[str]
    countries: list[str]
    deadline: datetime
    audience: str
    workgroups: list[int]  # indexes into the build's working-group pks
    anonymous: bool
    questions: list[str]
    state: str  # open, closed or expired
    created_at: datetime
    published_at: datetime
    closed_at: datetime | None
    responses: list[ResponsePlan] = field(default_factory=list)


@dataclass
class Publisher:
    org: int
    admins: list[int]
    country: str
    stages: list[str]
    fields: list[str]
    calls: int  # how many it publishes
    groups: list[int] = field(default_factory=list)  # working groups its first admin is in


@dataclass
class Responder:
    org: int
    users: list[int]
    fields: list[str]


def field_weights(slugs: list[str]) -> list[float]:
    return [1.0 / (1 + 0.3 * i) for i in range(len(slugs))]


def draw_distinct(
    rng: random.Random, options: list[str], weights: list[float], k: int
) -> list[str]:
    chosen: list[str] = []
    while len(chosen) < min(k, len(options)):
        pick = rng.choices(options, weights=weights)[0]
        if pick not in chosen:
            chosen.append(pick)
    return chosen


def profile(rng: random.Random, kind: str, field_slugs: list[str]) -> tuple[list[str], list[str]]:
    """(stages, fields) of an organisation of `kind`: 1-2 stages, mostly 1-4 fields, popular ones more often."""
    counts = FIELD_COUNTS.get(kind, FIELD_COUNTS["default"])
    n_fields = int(weighted(rng, [(str(n), w) for n, w in counts]))
    fields = draw_distinct(rng, field_slugs, field_weights(field_slugs), n_fields)
    options = STAGES_BY_KIND.get(kind, STAGES_BY_KIND["company"])
    n_stages = 1 if len(options) == 1 or rng.random() < 0.6 else 2
    stages = draw_distinct(rng, [s for s, _ in options], [w for _, w in options], n_stages)
    return stages, fields


def org_name(rng: random.Random, kind: str, country: str, serial: int) -> str:
    city = rng.choice(CITIES.get(country, [""])) or country
    brand = rng.choice(PREFIXES) + rng.choice(SUFFIXES)
    if kind == "research":
        name = rng.choice(
            [
                f"{city} Institute of Biotechnology",
                f"{brand} Research Centre",
                f"{city} Bioprocess Lab",
            ]
        )
    elif kind == "cluster":
        name = rng.choice(
            [f"{city} Biotech Cluster", f"BioRegion {city}", f"{city} Life Sciences Network"]
        )
    elif kind == "training":
        name = rng.choice([f"{city} Biomanufacturing Academy", f"{brand} GMP Training Centre"])
    elif kind == "authority":
        name = f"{city} Health Innovation Agency"
    else:
        ending = rng.choice(ENDINGS.get(kind, ENDINGS["company"]))
        name = f"{brand} {ending} {LEGAL_FORMS.get(country, 'Ltd')}"
    # Synthetic names repeat; the serial keeps them apart as a registry number would.
    return f"{name} ({serial})" if serial else name


# --- Plans: what to create, independent of how ------------------------------------------------


def plan_calls(
    rng: random.Random,
    *,
    publishers: list[Publisher],
    responders: list[Responder],
    n_responses: int,
    field_slugs: list[str],
    stage_slugs: list[str],
    now: datetime,
    targeted: list[tuple[int, int, int, set[str]]] = (),
    cover: bool = False,
) -> list[CallPlan]:
    """The calls of `publishers` and their responses.

    Mix: 75% open (deadlines over the next 6 months), 8% closed, 17% expired;
    60% all of Europe, 40% naming 1-5 countries; 10% anonymous; 5% addressed to
    working groups (of publishers whose admin is in one); 1-3 fields, 1-2 stages.
    `targeted`: (org, user, n, fields) responds to n open calls sharing a field.
    `cover` cycles through every state, audience and country kind (the sample).
    """
    weights = field_weights(field_slugs)
    countries, country_w = zip(*COUNTRY_WEIGHTS.items(), strict=True)
    in_groups = sum(1 for p in publishers if p.groups) / max(1, len(publishers))
    groups_odds = min(1.0, 0.05 / in_groups) if in_groups else 0.0
    calls: list[CallPlan] = []
    for p in publishers:
        for _ in range(p.calls):
            i = len(calls)
            kind = weighted(rng, CALL_KINDS)
            n_fields = rng.choices((1, 2, 3), weights=(0.45, 0.35, 0.20))[0]
            own = [f for f in p.fields if rng.random() < 0.7]
            fields = (own + draw_distinct(rng, field_slugs, weights, n_fields))[:n_fields]
            fields = list(dict.fromkeys(fields))
            n_stages = 1 if rng.random() < 0.65 else 2
            stages = list(dict.fromkeys(p.stages[:1] + rng.sample(stage_slugs, 2)))[:n_stages]
            named = (i % 2 == 1) if cover else rng.random() < 0.40
            chosen: list[str] = []
            if named:
                k = rng.choices((1, 2, 3, 4, 5), weights=(0.40, 0.25, 0.15, 0.10, 0.10))[0]
                chosen = [p.country] if rng.random() < 0.5 else []
                while len(chosen) < k:
                    c = rng.choices(countries, weights=country_w)[0]
                    if c not in chosen:
                        chosen.append(c)
            state = (
                ("open", "open", "closed", "expired")[i % 4]
                if cover
                else rng.choices(("open", "closed", "expired"), weights=(0.75, 0.08, 0.17))[0]
            )
            if state == "open":
                published = now - timedelta(days=rng.uniform(0, 120))
                deadline = now + timedelta(hours=rng.uniform(2, 183 * 24))
                closed = None
            elif state == "closed":
                published = now - timedelta(days=rng.uniform(10, 200))
                deadline = published + timedelta(days=rng.uniform(30, 240))
                closed = published + (min(deadline, now) - published) * rng.uniform(0.2, 1.0)
            else:
                deadline = now - timedelta(hours=rng.uniform(1, 180 * 24))
                published = deadline - timedelta(days=rng.uniform(14, 120))
                closed = deadline
            groups_call = bool(p.groups) and (
                (cover and i % 3 != 2) or (not cover and rng.random() < groups_odds)
            )
            f_name = _field_label(fields[0])
            title = rng.choice(TITLES[kind]).format(
                f=lower_first(f_name),
                F=f_name,
                q=rng.choice(("Q1", "Q2", "Q3", "Q4", "the spring", "the autumn")),
                c=rng.choice(("Northern", "Southern", "main", "new", "pilot")),
                p=rng.choice(("I", "II", "III")),
            )
            description = (
                f"**{title}.** "
                + rng.choice(SUMMARIES).format(f=lower_first(f_name))
                + "\n\nWhat we look for:\n\n"
                + "\n".join(f"- {b}" for b in rng.sample(BULLETS, 3))
                + "\n\nWe answer every response and meet shortlisted partners online."
            )
            calls.append(
                CallPlan(
                    org=p.org,
                    creator=p.admins[0]
                    if len(p.admins) == 1 or groups_call
                    else rng.choice(p.admins),
                    kind=kind,
                    title=title[:160],
                    summary=rng.choice(SUMMARIES).format(f=lower_first(f_name))[:400],
                    description=description,
                    topic_reference=(
                        f"HORIZON-HLTH-2027-IND-{rng.randint(1, 15):02d}-{rng.randint(1, 9):02d}"
                        if kind == "consortium"
                        else ""
                    ),
                    stages=stages,
                    fields=fields,
                    countries=sorted(chosen),
                    deadline=deadline,
                    audience="groups" if groups_call else "members",
                    workgroups=sorted(
                        rng.sample(p.groups, min(len(p.groups), rng.choice((1, 1, 2))))
                    )
                    if groups_call
                    else [],
                    anonymous=(i % 5 == 0) if cover else rng.random() < 0.10,
                    questions=rng.sample(QUESTIONS, rng.choice((1, 2, 3)))
                    if (cover and i % 3 == 0) or (not cover and rng.random() < 0.3)
                    else [],
                    state=state,
                    created_at=published - timedelta(days=rng.uniform(0, 3)),
                    published_at=published,
                    closed_at=closed,
                )
            )
    rng.shuffle(calls)

    # Responses: only to calls every member may see (a response needs the call in sight).
    open_to_all = [c for c in calls if c.audience == "members"]
    taken: set[tuple[int, int]] = set()
    by_field: dict[str, list[Responder]] = defaultdict(list)
    for r in responders:
        for f in r.fields:
            by_field[f].append(r)

    def respond(call: CallPlan, org: int, user: int) -> bool:
        if org == call.org or (id(call), org) in taken:
            return False
        taken.add((id(call), org))
        end = min(now, call.deadline, call.closed_at or now)
        f_name = lower_first(_field_label(call.fields[0]))
        call.responses.append(
            ResponsePlan(
                org=org,
                user=user,
                message=rng.choice(MESSAGES).format(f=f_name),
                answers=[
                    f"Answer {k + 1}: see our profile and the attached note."
                    for k in range(len(call.questions))
                ],
                created_at=call.published_at + (end - call.published_at) * rng.random(),
            )
        )
        return True

    for org, user, n, fields in targeted:
        matching = [
            c for c in open_to_all if c.state == "open" and set(c.fields) & fields and c.org != org
        ]
        for call in rng.sample(matching, min(n, len(matching))):
            respond(call, org, user)
    popularity = [rng.lognormvariate(0, 1.0) for _ in open_to_all]
    made = sum(len(c.responses) for c in calls)
    attempts = 0
    while made < n_responses and attempts < 20 * n_responses and open_to_all:
        attempts += 1
        call = rng.choices(open_to_all, weights=popularity)[0]
        pool = by_field.get(rng.choice(call.fields)) if rng.random() < 0.7 else None
        r = rng.choice(pool or responders)
        made += respond(call, r.org, rng.choice(r.users))
    for call in calls:
        call.responses.sort(key=lambda r: r.created_at)
    return calls


def lower_first(name: str) -> str:
    """ "Cell therapy" -> "cell therapy" inside a sentence; "GMP, quality..." and "mRNA" stay."""
    return name if len(name) > 1 and name[1].isupper() else name[:1].lower() + name[1:]


def _field_label(slug: str) -> str:
    return _FIELD_NAMES.get(slug, slug.replace("-", " ").capitalize())


_FIELD_NAMES: dict[str, str] = {}


def publisher_call_counts(rng: random.Random, n_publishers: int, n_calls: int) -> list[int]:
    """Each publisher at least one call; the rest on a long tail (a few publish 20 or more)."""
    counts = [1] * n_publishers
    weights = [rng.lognormvariate(0, 1.2) for _ in range(n_publishers)]
    for i in rng.choices(range(n_publishers), weights=weights, k=max(0, n_calls - n_publishers)):
        counts[i] += 1
    return counts


# --- Building: organisations, people, calls ---------------------------------------------------


def bulk_users(rows: list[tuple[str, str, str]]) -> list[int]:
    from community.models import User

    users = [User(email=e, display_name=d, job_title=j, password="!unusable") for e, d, j in rows]
    return [u.pk for u in User.objects.bulk_create(users, batch_size=2000)]


def bulk_organisations(specs: list[OrgSpec], *, source: str) -> list[int]:
    """Organisation rows with their stages and fields, unclaimed until `bulk_memberships` gives them an admin."""
    from community.models import Field, Organisation, Stage
    from community.services import unique_slug

    taken = set(Organisation.objects.values_list("slug", flat=True))
    rows = []
    for s in specs:
        slug = unique_slug(s.name, taken)
        taken.add(slug)
        rows.append(
            Organisation(
                name=s.name, slug=slug, country=s.country, kind=s.kind, source=source, claimed=False
            )
        )
    pks = [o.pk for o in Organisation.objects.bulk_create(rows, batch_size=2000)]
    stages = dict(Stage.objects.values_list("slug", "pk"))
    fields = dict(Field.objects.values_list("slug", "pk"))
    add_profiles(
        {pk: (s.stages, s.fields) for pk, s in zip(pks, specs, strict=True)}, stages, fields
    )
    return pks


def add_profiles(links: dict[int, tuple[list[str], list[str]]], stages: dict, fields: dict) -> int:
    """Adds stages and fields to organisations (those they have already are kept)."""
    from community.models import Organisation

    S, F = Organisation.stages.through, Organisation.fields.through
    have_s = set(
        S.objects.filter(organisation_id__in=list(links)).values_list("organisation_id", "stage_id")
    )
    have_f = set(
        F.objects.filter(organisation_id__in=list(links)).values_list("organisation_id", "field_id")
    )
    new_s = [
        (pk, stages[s])
        for pk, (ss, _) in links.items()
        for s in ss
        if (pk, stages[s]) not in have_s
    ]
    new_f = [
        (pk, fields[f])
        for pk, (_, ff) in links.items()
        for f in ff
        if (pk, fields[f]) not in have_f
    ]
    S.objects.bulk_create([S(organisation_id=o, stage_id=s) for o, s in new_s], batch_size=5000)
    F.objects.bulk_create([F(organisation_id=o, field_id=f) for o, f in new_f], batch_size=5000)
    return len(new_s) + len(new_f)


def bulk_memberships(rows: list[tuple[int, int, str]], *, when: datetime | None = None) -> int:
    """(user pk, organisation pk, role) memberships; admins get guardian's admin rows on the
    organisation, which becomes claimed, as organisation_create and a granted claim leave it."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from guardian.models import UserObjectPermission

    from community.models import Organisation, OrganisationMembership
    from community.permissions import ORGANISATION_ADMIN_PERMS

    now = when or timezone.now()
    ct = ContentType.objects.get_for_model(Organisation)
    perm_ids = list(
        Permission.objects.filter(
            content_type=ct, codename__in=[p.split(".", 1)[1] for p in ORGANISATION_ADMIN_PERMS]
        ).values_list("pk", flat=True)
    )
    OrganisationMembership.objects.bulk_create(
        [
            OrganisationMembership(
                user_id=u, organisation_id=o, role=role, created_at=now + timedelta(microseconds=k)
            )
            for k, (u, o, role) in enumerate(rows)
        ],
        batch_size=5000,
    )
    admins = [(u, o) for u, o, role in rows if role == "admin"]
    UserObjectPermission.objects.bulk_create(
        [
            UserObjectPermission(
                user_id=u, permission_id=p, content_type_id=ct.pk, object_pk=str(o)
            )
            for u, o in admins
            for p in perm_ids
        ],
        batch_size=5000,
    )
    claimed = {o for _, o in admins}
    Organisation.objects.filter(pk__in=claimed, claimed=False).update(claimed=True, claimed_at=now)
    return len(rows)


def call_document(
    c: CallPlan, org_name: str, stage_names: list[str], field_names: list[str], kind_label: str
) -> str:
    """services._index for a planned call: the same parts in the same order."""
    from community.text import normalise_name

    parts = [
        c.title,
        c.summary,
        c.description,
        c.topic_reference,
        kind_label,
        *stage_names,
        *field_names,
        *c.countries,
    ]
    if not c.anonymous:
        parts.append(org_name)
    return normalise_name(" ".join(p for p in parts if p))


def bulk_calls(
    plans: list[CallPlan], org_pks: list[int], user_pks: list[int], group_pks: list[int]
) -> dict[str, float]:
    """Writes the rows call_create(publish=True), response_create, call_close and expire_one
    would write for `plans`, in a few bulk INSERTs (notifications and queued tasks aside)."""
    from community.models import Field, Organisation, Stage
    from messaging import markdown
    from partnerships.models import Call, CallCountry, Response, ResponseEvent

    timings = {}
    t = time.perf_counter()
    stages = {s.slug: s for s in Stage.objects.all()}  # Meta.ordering: as call.stages reads them
    fields = {f.slug: f for f in Field.objects.all()}
    stage_order = {slug: i for i, slug in enumerate(stages)}
    field_order = {slug: i for i, slug in enumerate(fields)}
    names = dict(Organisation.objects.filter(pk__in=set(org_pks)).values_list("pk", "name"))
    kinds = dict(Call.Kind.choices)
    status = {
        "open": Call.Status.PUBLISHED,
        "closed": Call.Status.CLOSED,
        "expired": Call.Status.EXPIRED,
    }
    rendered: dict[str, str] = {}
    rows = []
    for c in plans:
        if c.description not in rendered:
            rendered[c.description] = markdown.render(c.description)
        stage_names = [stages[s].name for s in sorted(c.stages, key=stage_order.get)]
        field_names = [fields[f].name for f in sorted(c.fields, key=field_order.get)]
        rows.append(
            Call(
                organisation_id=org_pks[c.org],
                created_by_id=user_pks[c.creator],
                kind=c.kind,
                title=c.title,
                summary=c.summary,
                description=c.description,
                description_html=rendered[c.description],
                topic_reference=c.topic_reference,
                all_europe=not c.countries,
                questions=c.questions,
                deadline=c.deadline,
                audience=c.audience,
                anonymous=c.anonymous,
                status=status[c.state],
                published_at=c.published_at,
                closed_at=c.closed_at,
                response_count=len(c.responses),
                search_document=call_document(
                    c, names[org_pks[c.org]], stage_names, field_names, str(kinds[c.kind])
                ),
                created_at=c.created_at,
            )
        )
    calls = Call.objects.bulk_create(rows, batch_size=2000)
    pairs = list(zip(plans, calls, strict=True))
    Call.stages.through.objects.bulk_create(
        [
            Call.stages.through(call_id=call.pk, stage_id=stages[s].pk)
            for c, call in pairs
            for s in c.stages
        ],
        batch_size=5000,
    )
    Call.fields.through.objects.bulk_create(
        [
            Call.fields.through(call_id=call.pk, field_id=fields[f].pk)
            for c, call in pairs
            for f in c.fields
        ],
        batch_size=5000,
    )
    CallCountry.objects.bulk_create(
        [CallCountry(call_id=call.pk, country=k) for c, call in pairs for k in c.countries],
        batch_size=5000,
    )
    Call.workgroups.through.objects.bulk_create(
        [
            Call.workgroups.through(call_id=call.pk, workgroup_id=group_pks[g])
            for c, call in pairs
            for g in c.workgroups
        ],
        batch_size=5000,
    )
    timings["calls"] = time.perf_counter() - t
    t = time.perf_counter()
    responses = Response.objects.bulk_create(
        [
            Response(
                call_id=call.pk,
                organisation_id=org_pks[r.org],
                created_by_id=user_pks[r.user],
                message=r.message,
                answers=r.answers,
                status=Response.Status.SUBMITTED,
                created_at=r.created_at,
            )
            for c, call in pairs
            for r in c.responses
        ],
        batch_size=5000,
    )
    ResponseEvent.objects.bulk_create(
        [
            ResponseEvent(
                response_id=r.pk,
                actor_id=r.created_by_id,
                to_status=Response.Status.SUBMITTED,
                created_at=r.created_at,
            )
            for r in responses
        ],
        batch_size=5000,
    )
    timings["responses"] = time.perf_counter() - t
    return timings


def service_calls(
    plans: list[CallPlan], org_pks: list[int], user_pks: list[int], group_pks: list[int]
) -> int:
    """Builds `plans` through the services, as people would; returns the number of service calls.

    A call that is closed or expired in the plan is created with a deadline three
    hours ahead, answered, closed (call_close), then given its planned deadline,
    as time passing would, and expired by the sweep's own `expire_one`.
    """
    from django.utils import timezone

    from community.models import Field, Organisation, Stage, User
    from partnerships import services
    from partnerships.models import Call
    from workgroups.models import Workgroup

    users = User.objects.in_bulk(user_pks)
    orgs = Organisation.objects.in_bulk(org_pks)
    stages = {s.slug: s for s in Stage.objects.all()}
    fields = {f.slug: f for f in Field.objects.all()}
    groups = Workgroup.objects.in_bulk(group_pks)
    now = timezone.now()
    count = 0
    for c in plans:
        actor = users[user_pks[c.creator]]
        deadline = c.deadline if c.deadline > now + timedelta(hours=2) else now + timedelta(hours=3)
        call = services.call_create(
            actor=actor,
            organisation=orgs[org_pks[c.org]],
            kind=c.kind,
            title=c.title,
            summary=c.summary,
            description=c.description,
            topic_reference=c.topic_reference,
            deadline=deadline,
            stages=[stages[s] for s in c.stages],
            fields=[fields[f] for f in c.fields],
            countries=c.countries,
            audience=c.audience,
            workgroups=[groups[group_pks[g]] for g in c.workgroups],
            anonymous=c.anonymous,
            questions=c.questions,
            publish=True,
        )
        count += 1
        for r in c.responses:
            services.response_create(
                actor=users[user_pks[r.user]],
                call=call,
                organisation=orgs[org_pks[r.org]],
                message=r.message,
                answers=r.answers,
            )
            count += 1
        if c.state == "closed":
            services.call_close(actor=actor, call=call)
            count += 1
        if deadline != c.deadline:
            Call.objects.filter(pk=call.pk).update(deadline=c.deadline)
        if c.state == "expired":
            count += services.expire_one(call.pk)
    return count


def snapshot(org_pks: list[int]) -> dict:
    """Everything the services write for organisations and their calls, in creation order."""
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import UserObjectPermission

    from community.models import Organisation, OrganisationMembership
    from partnerships.models import Call, CallCountry, Response, ResponseEvent

    ct = ContentType.objects.get_for_model(Organisation)
    orgs = []
    for o in Organisation.objects.filter(pk__in=org_pks).order_by("pk"):
        orgs.append(
            {
                "name": o.name,
                "slug": o.slug,
                "country": str(o.country),
                "kind": o.kind,
                "source": o.source,
                "claimed": (o.claimed, o.claimed_at is not None),
                "stages": sorted(o.stages.values_list("slug", flat=True)),
                "fields": sorted(o.fields.values_list("slug", flat=True)),
                "normalised_name": o.normalised_name,
                "search_document": o.search_document,
                "search_vector": str(o.search_vector),
                "memberships": sorted(
                    OrganisationMembership.objects.filter(organisation=o).values_list(
                        "user__email", "role", "listed"
                    )
                ),
                "permissions": sorted(
                    UserObjectPermission.objects.filter(
                        content_type=ct, object_pk=str(o.pk)
                    ).values_list("user__email", "permission__codename")
                ),
            }
        )
    calls = []
    for c in (
        Call.objects.filter(organisation_id__in=org_pks)
        .select_related("organisation", "created_by")
        .order_by("pk")
    ):
        calls.append(
            {
                "organisation": c.organisation.slug,
                "created_by": c.created_by.email,
                **{
                    k: getattr(c, k)
                    for k in (
                        "kind",
                        "title",
                        "summary",
                        "description",
                        "description_html",
                        "topic_reference",
                        "all_europe",
                        "questions",
                        "deadline",
                        "audience",
                        "anonymous",
                        "status",
                        "review_note",
                        "renewals",
                        "response_count",
                        "search_document",
                    )
                },  # fmt: skip
                "published": c.published_at is not None,
                "closed_at": None
                if c.closed_at is None
                else ("deadline" if c.closed_at == c.deadline else "set"),
                "stages": sorted(c.stages.values_list("slug", flat=True)),
                "fields": sorted(c.fields.values_list("slug", flat=True)),
                "countries": sorted(
                    CallCountry.objects.filter(call=c).values_list("country", flat=True)
                ),
                "workgroups": sorted(c.workgroups.values_list("name", flat=True)),
                "responses": [
                    {
                        "organisation": r.organisation.slug,
                        "created_by": r.created_by.email,
                        "message": r.message,
                        "answers": r.answers,
                        "status": r.status,
                        "conversation": r.conversation_id,
                        "events": list(
                            ResponseEvent.objects.filter(response=r).values_list(
                                "actor__email", "from_status", "to_status", "note"
                            )
                        ),
                    }
                    for r in Response.objects.filter(call=c)
                    .select_related("organisation", "created_by")
                    .order_by("organisation__slug")
                ],
            }
        )
    return {"organisations": orgs, "calls": calls}


def sample_plan(seed: int, field_slugs: list[str], stage_slugs: list[str], now: datetime):
    """Ten organisations with one or two admins, two working groups, 30 calls, ~60 responses."""
    rng = random.Random(seed)
    specs, admins, users = [], [], []
    for i in range(10):
        country = list(COUNTRY_WEIGHTS)[i % 8]
        kind = ("company", "cdmo", "research", "cluster", "company")[i % 5]
        stages, fields = profile(rng, kind, field_slugs)
        specs.append(
            OrgSpec(
                org_name(rng, kind, country, 0) + f" Verify {i}",
                country,
                kind,
                stages,
                fields or field_slugs[:1],
            )
        )
        mine = []
        for _ in range(1 + (i % 4 == 0)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            mine.append(len(users))
            users.append(
                (
                    f"verify{len(users):03d}@verify.example",
                    f"{first} {last}",
                    rng.choice(JOB_TITLES),
                )
            )
        admins.append(mine)
    # Groups: the admins of the first four organisations are in them.
    groups = [[0, 1], [1, 2, 3]]
    publishers = [
        Publisher(org=i, admins=admins[i], country=specs[i].country, stages=specs[i].stages, fields=specs[i].fields,
                  calls=3, groups=[g for g, orgs in enumerate(groups) if i in orgs])
        for i in range(10)
    ]  # fmt: skip
    for p in publishers:
        if p.groups:
            p.admins = p.admins[:1]  # the one in the groups publishes
    responders = [Responder(org=i, users=admins[i], fields=specs[i].fields) for i in range(10)]
    calls = plan_calls(
        rng,
        publishers=publishers,
        responders=responders,
        n_responses=60,
        field_slugs=field_slugs,
        stage_slugs=stage_slugs,
        now=now,
        cover=True,
    )
    return specs, admins, users, groups, calls


def group_plan(names: list[str], members: list[list[int]], now: datetime) -> Plan:
    """Working groups for tests.bench.workgroups.bulk_build: members-only, open; the first member owns it."""
    groups = [
        GroupPlan(
            name=name,
            description=f"A members-only forum on {name.lower()}: calls addressed to the group land here.",
            visibility="members",
            join_policy="open",
            field_slugs=[],
            org_indexes=[],
            created_at=now - timedelta(days=400),
            last_activity_at=now - timedelta(days=2),
            members=[(u, "owner" if k == 0 else "member", "active") for k, u in enumerate(people)],
        )
        for name, people in zip(names, members, strict=True)
    ]
    return Plan(users=[], groups=groups, viewers={}, n_orgs=0)


def verify_sample(args) -> dict:
    """The same small plan through the services and through the bulk builders: the rows must be equal."""
    from django.db import transaction
    from django.utils import timezone

    from community import services as community
    from community.models import Field, Stage, User
    from workgroups.models import Workgroup

    now = timezone.now()
    field_slugs = _field_slugs()
    stage_slugs = list(Stage.objects.values_list("slug", flat=True))
    specs, admins, users, groups, calls = sample_plan(args.seed + 1, field_slugs, stage_slugs, now)
    group_names = ["Verify viral vector forum", "Verify fill-finish club"]
    results = {}
    for how in ("services", "bulk"):
        with transaction.atomic():
            user_pks = bulk_users(users)
            t = time.perf_counter()
            if how == "services":
                people = User.objects.in_bulk(user_pks)
                stages = {s.slug: s for s in Stage.objects.all()}
                fields = {f.slug: f for f in Field.objects.all()}
                org_pks = []
                for spec, mine in zip(specs, admins, strict=True):
                    org = community.organisation_create(
                        creator=people[user_pks[mine[0]]],
                        name=spec.name,
                        country=spec.country,
                        kind=spec.kind,
                        stages=[stages[s] for s in spec.stages],
                        fields=[fields[f] for f in spec.fields],
                    )
                    for other in mine[1:]:
                        community.organisation_member_add(
                            actor=people[user_pks[mine[0]]],
                            organisation=org,
                            user=people[user_pks[other]],
                            role="admin",
                        )
                    org_pks.append(org.pk)
            else:
                org_pks = bulk_organisations(specs, source="member")
                bulk_memberships(
                    [
                        (user_pks[u], org_pks[i], "admin")
                        for i, mine in enumerate(admins)
                        for u in mine
                    ]
                )
                _index_organisations(org_pks)
            orgs_s = time.perf_counter() - t
            # The working groups are a precondition here, built the same way both times.
            bulk_build(
                group_plan(group_names, [[admins[o][0] for o in g] for g in groups], now),
                user_pks,
                [],
            )
            group_pks = [Workgroup.objects.get(name=n).pk for n in group_names]
            t = time.perf_counter()
            if how == "services":
                operations = service_calls(calls, org_pks, user_pks, group_pks)
            else:
                bulk_calls(calls, org_pks, user_pks, group_pks)
            results[how + "_seconds"] = time.perf_counter() - t
            results[how + "_org_seconds"] = orgs_s
            results[how] = snapshot(org_pks)
            if how == "services":
                results["operations"] = operations
            transaction.set_rollback(True)
    differences = []
    a, b = results["services"], results["bulk"]
    for what in ("organisations", "calls"):
        if len(a[what]) != len(b[what]):
            differences.append(f"{what}: services {len(a[what])} / bulk {len(b[what])}")
        for i, (x, y) in enumerate(zip(a[what], b[what], strict=False)):
            differences += [
                f"{what}[{i}] {x.get('title', x.get('name'))!r}: {k} differs: services {x[k]!r} / bulk {y.get(k)!r}"
                for k in x
                if x[k] != y.get(k)
            ]
    n_responses = sum(len(c.responses) for c in calls)
    per_call_ms = results["services_seconds"] / len(calls) * 1000
    return {
        "organisations": len(specs),
        "calls": len(calls),
        "responses": n_responses,
        "covered": {
            "states": dict(Counter(c.state for c in calls)),
            "anonymous": sum(c.anonymous for c in calls),
            "audience_groups": sum(c.audience == "groups" for c in calls),
            "named_countries": sum(bool(c.countries) for c in calls),
            "with_questions": sum(bool(c.questions) for c in calls),
        },
        "equal": not differences,
        "differences": differences[:20],
        "services_seconds": round(results["services_seconds"], 2),
        "services_operations": results["operations"],
        "bulk_seconds": round(results["bulk_seconds"], 3),
        "services_ms_per_call_with_its_responses": round(per_call_ms, 1),
        "services_org_seconds": round(results["services_org_seconds"], 2),
        "bulk_org_seconds": round(results["bulk_org_seconds"], 3),
    }


def _field_slugs() -> list[str]:
    from community.models import Field

    known = dict(Field.objects.values_list("slug", "name"))
    _FIELD_NAMES.update(known)
    return [s for s in FIELD_POPULARITY if s in known] + sorted(set(known) - set(FIELD_POPULARITY))


def _index_organisations(pks: list[int]) -> None:
    """community.search.index (normalised name, search document, vector), in chunks."""
    from community import search
    from community.models import Organisation

    for i in range(0, len(pks), 5000):
        search.index(Organisation.objects.filter(pk__in=pks[i : i + 5000]))


# --- The population ---------------------------------------------------------------------------

# The four viewers: (key, organisation spec, role); "several" is also in three more organisations.
VIEWER_ORGS = {
    "broad": OrgSpec(
        "Rheinland Biologics GmbH",
        "DE",
        "cdmo",
        ["research", "process-development", "production"],
        FIELD_POPULARITY[:9],
    ),
    "rare": OrgSpec(
        "Algarve Microbiome Therapeutics Lda", "PT", "company", [], ["live-biotherapeutics"]
    ),
    "several": OrgSpec(
        "Scheldt Cell Therapeutics NV",
        "BE",
        "company",
        ["research", "process-development"],
        ["cell-therapy", "gene-therapy", "viral-vectors"],
    ),
    "empty": OrgSpec("Nuova Biotech Start S.r.l.", "IT", "company", [], []),
}
VIEWER_LABELS = {
    "broad": "CDMO in DE, 9 popular fields, 3 stages, publishes, answered 25",
    "rare": "company in PT, 1 rare field, no stage",
    "several": "admin of 1 + member of 3 organisations, in 3 groups",
    "empty": "organisation with no field and no stage",
}
GROUP_NAMES = [
    "Viral vector manufacturers forum", "Fill-finish capacity club", "mRNA and LNP network",
    "CAR-T hospital exemption group", "Biosimilars developers", "Continuous processing consortium",
    "Plasma-derived medicines exchange", "Analytics for ATMPs",
]  # fmt: skip


def build_population(args, setup: dict[str, float]) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from community.models import Field, Organisation, Stage
    from workgroups.models import Workgroup

    rng = random.Random(args.seed)
    now = timezone.now()
    field_slugs = _field_slugs()
    stage_slugs = list(Stage.objects.values_list("slug", flat=True))
    stage_pk = dict(Stage.objects.values_list("slug", "pk"))
    field_pk = dict(Field.objects.values_list("slug", "pk"))

    t = time.perf_counter()
    imported = list(Organisation.objects.order_by("pk").values_list("pk", "country", "kind"))
    has_fields = defaultdict(list)
    for o, slug in Organisation.fields.through.objects.values_list(
        "organisation_id", "field__slug"
    ):
        has_fields[o].append(slug)
    has_stages = defaultdict(list)
    for o, slug in Organisation.stages.through.objects.values_list(
        "organisation_id", "stage__slug"
    ):
        has_stages[o].append(slug)
    n_synthetic = max(0, args.organisations - len(imported) - len(VIEWER_ORGS))
    kinds = [weighted(rng, SYNTHETIC_KINDS) for _ in range(n_synthetic)]
    countries = rng.choices(
        list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()), k=n_synthetic
    )
    specs = []
    for i, (kind, country) in enumerate(zip(kinds, countries, strict=True)):
        stages, fields = profile(rng, kind, field_slugs)
        specs.append(OrgSpec(org_name(rng, kind, country, 1000 + i), country, kind, stages, fields))
    viewer_specs = list(VIEWER_ORGS.values())
    # Imported organisations keep what their preset gave them and get a profile as members would fill it.
    extra = {}
    for pk, _country, kind in imported:
        stages, fields = profile(rng, kind, field_slugs)
        extra[pk] = (stages if not has_stages[pk] else [], fields)
    setup["plan organisations (Python)"] = time.perf_counter() - t

    with transaction.atomic():
        t = time.perf_counter()
        synthetic_pks = bulk_organisations(specs + viewer_specs, source="bench-synthetic")
        add_profiles(extra, stage_pk, field_pk)
        setup["synthetic organisations, fields and stages"] = time.perf_counter() - t

        # Index: imported first, then synthetic, the viewers' four last.
        org_pks = [pk for pk, _, _ in imported] + synthetic_pks
        org_country = [c for _, c, _ in imported] + [s.country for s in specs + viewer_specs]
        org_kind = [k for _, _, k in imported] + [s.kind for s in specs + viewer_specs]
        org_fields = [sorted(set(has_fields[pk]) | set(extra[pk][1])) for pk, _, _ in imported] + [
            s.fields for s in specs + viewer_specs
        ]
        org_stages = [has_stages[pk] + extra[pk][0] for pk, _, _ in imported] + [
            s.stages for s in specs + viewer_specs
        ]
        viewer_org = {key: len(org_pks) - len(VIEWER_ORGS) + k for k, key in enumerate(VIEWER_ORGS)}

        # People: the viewers, then one or two admins per publishing organisation, one per responding one.
        t = time.perf_counter()
        candidates = [i for i in range(len(org_pks)) if i not in viewer_org.values()]
        weights = [
            PUBLISHER_WEIGHT.get(org_kind[i], 0.5) * (1.5 if org_fields[i] else 0.3)
            for i in candidates
        ]
        chosen: dict[int, None] = {}
        while len(chosen) < args.publishers - 2:
            for i in rng.choices(candidates, weights=weights, k=args.publishers):
                chosen[i] = None
                if len(chosen) == args.publishers - 2:
                    break
        publishing = list(chosen)
        rest = [i for i in candidates if i not in chosen]
        responding = rng.sample(rest, min(args.responders, len(rest)))
        users = [
            (f"{key}@bench.example", f"{key.capitalize()} viewer (bench)", "Bench viewer")
            for key in VIEWER_ORGS
        ]
        memberships: list[tuple[int, int, str]] = []  # (user index, org index, role)
        admins: dict[int, list[int]] = {}

        def person(prefix: str) -> int:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            users.append(
                (
                    f"{prefix}{len(users):05d}@bench.example",
                    f"{first} {last}",
                    rng.choice(JOB_TITLES),
                )
            )
            return len(users) - 1

        for i in publishing:
            admins[i] = [person("admin") for _ in range(1 + (rng.random() < 0.15))]
            memberships += [(u, i, "admin") for u in admins[i]]
        for i in responding:
            admins[i] = [person("member")]
            memberships.append((admins[i][0], i, "admin"))
        viewer_user = {key: k for k, key in enumerate(VIEWER_ORGS)}
        for key, i in viewer_org.items():
            admins[i] = [viewer_user[key]]
            memberships.append((viewer_user[key], i, "admin"))
        # The broad viewer's organisation has a second admin; "several" is a plain member of three more.
        admins[viewer_org["broad"]].append(person("admin"))
        memberships.append((admins[viewer_org["broad"]][1], viewer_org["broad"], "admin"))
        several_more = _several_memberships(imported, org_fields)
        memberships += [(viewer_user["several"], i, "member") for i in several_more]
        user_pks = bulk_users(users)
        bulk_memberships(
            [(user_pks[u], org_pks[i], role) for u, i, role in memberships],
            when=now - timedelta(days=90),
        )
        setup["users and memberships"] = time.perf_counter() - t
        t = time.perf_counter()
        _index_organisations(org_pks)
        setup["organisation search index"] = time.perf_counter() - t

        # Working groups: 15% of the publishers' first admins, and the "several" viewer in three.
        t = time.perf_counter()
        in_groups = rng.sample(publishing, round(0.15 * len(publishing)))
        members: list[list[int]] = [[] for _ in GROUP_NAMES]
        groups_of: dict[int, list[int]] = defaultdict(list)
        for i in in_groups:
            for g in rng.sample(range(len(GROUP_NAMES)), rng.choice((1, 1, 2, 3))):
                members[g].append(admins[i][0])
                groups_of[i].append(g)
        for g in (0, 1, 3):
            members[g].append(viewer_user["several"])
        bulk_build(group_plan(GROUP_NAMES, members, now), user_pks, [])
        group_pks = list(
            Workgroup.objects.filter(name__in=GROUP_NAMES)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        setup["working groups (workgroups bench builder)"] = time.perf_counter() - t

        t = time.perf_counter()
        counts = publisher_call_counts(rng, len(publishing), args.calls - 6 - 3)
        publishers = [
            Publisher(
                i,
                admins[i],
                org_country[i],
                org_stages[i],
                org_fields[i],
                n,
                sorted(groups_of.get(i, [])),
            )
            for i, n in zip(publishing, counts, strict=True)
        ]
        publishers += [
            Publisher(viewer_org["broad"], admins[viewer_org["broad"]], "DE", org_stages[viewer_org["broad"]],
                      org_fields[viewer_org["broad"]], 6),
            Publisher(viewer_org["several"], admins[viewer_org["several"]], "BE", org_stages[viewer_org["several"]],
                      org_fields[viewer_org["several"]], 3),
        ]  # fmt: skip
        responders = [Responder(i, admins[i], org_fields[i]) for i in publishing + responding]
        targeted = [
            (viewer_org["broad"], viewer_user["broad"], 25, set(org_fields[viewer_org["broad"]]))
        ]
        targeted += [
            (i, viewer_user["several"], 3, set(org_fields[i]) or set(field_slugs))
            for i in [viewer_org["several"], *several_more]
        ]
        calls = plan_calls(
            rng,
            publishers=publishers,
            responders=responders,
            n_responses=args.responses,
            field_slugs=field_slugs,
            stage_slugs=stage_slugs,
            now=now,
            targeted=targeted,
        )
        setup["plan calls and responses (Python)"] = time.perf_counter() - t
        for label, seconds in bulk_calls(calls, org_pks, user_pks, group_pks).items():
            setup[f"{label} (bulk)"] = seconds
    return {
        "viewers": {key: user_pks[viewer_user[key]] for key in VIEWER_ORGS},
        "viewer_orgs": {key: org_pks[viewer_org[key]] for key in VIEWER_ORGS},
        "several_more": [org_pks[i] for i in several_more],
        "publishers": len(publishers),
        "responders_only": len(responding),
    }


def _several_memberships(imported, org_fields) -> list[int]:
    """Three imported organisations for the "several" viewer: a French university, a German
    hospital, an EMA holder, each with fields (indexes into the organisation list)."""
    wanted = [("research", "FR"), ("hospital", "DE"), ("company", None)]
    out = []
    for kind, country in wanted:
        for i, (_pk, c, k) in enumerate(imported):
            if k == kind and (country is None or c == country) and org_fields[i] and i not in out:
                out.append(i)
                break
    return out


INVARIANTS = {
    # Each counts rows that break a rule; all must be 0.
    "response_count differs from the responses": """
        SELECT count(*) FROM partnerships_call c
        WHERE c.response_count <> (SELECT count(*) FROM partnerships_response r WHERE r.call_id = c.id)""",
    "all_europe differs from 'no country rows'": """
        SELECT count(*) FROM partnerships_call c
        WHERE c.all_europe = EXISTS (SELECT 1 FROM partnerships_callcountry k WHERE k.call_id = c.id)""",
    "listed calls with neither stage nor field": """
        SELECT count(*) FROM partnerships_call c WHERE c.status IN ('published', 'closed', 'expired')
        AND NOT EXISTS (SELECT 1 FROM partnerships_call_stages s WHERE s.call_id = c.id)
        AND NOT EXISTS (SELECT 1 FROM partnerships_call_fields f WHERE f.call_id = c.id)""",
    "responses of the call's own organisation": """
        SELECT count(*) FROM partnerships_response r JOIN partnerships_call c ON c.id = r.call_id
        WHERE r.organisation_id = c.organisation_id""",
    "responses by someone outside the responding organisation": """
        SELECT count(*) FROM partnerships_response r WHERE NOT EXISTS (
            SELECT 1 FROM community_organisationmembership m
            WHERE m.organisation_id = r.organisation_id AND m.user_id = r.created_by_id)""",
    "responses dated outside the call's open period": """
        SELECT count(*) FROM partnerships_response r JOIN partnerships_call c ON c.id = r.call_id
        WHERE r.created_at < c.published_at OR r.created_at > LEAST(c.deadline, COALESCE(c.closed_at, c.deadline))""",
    "calls whose creator may not publish for the organisation": """
        SELECT count(*) FROM partnerships_call c WHERE NOT EXISTS (
            SELECT 1 FROM guardian_userobjectpermission g JOIN auth_permission p ON p.id = g.permission_id
            WHERE g.user_id = c.created_by_id AND g.object_pk = c.organisation_id::text
            AND p.codename IN ('change_organisation', 'publish_calls'))""",
    "group calls without groups, or addressed to a group their creator is not in": """
        SELECT count(*) FROM partnerships_call c WHERE c.audience = 'groups' AND (
            NOT EXISTS (SELECT 1 FROM partnerships_call_workgroups w WHERE w.call_id = c.id)
            OR EXISTS (SELECT 1 FROM partnerships_call_workgroups w WHERE w.call_id = c.id AND NOT EXISTS (
                SELECT 1 FROM workgroups_membership m WHERE m.workgroup_id = w.workgroup_id
                AND m.user_id = c.created_by_id AND m.status = 'active')))""",
    "responses to calls the responder may not see (group calls)": """
        SELECT count(*) FROM partnerships_response r JOIN partnerships_call c ON c.id = r.call_id
        WHERE c.audience = 'groups'""",
    "admins without guardian's admin rows, or claimed flags wrong": """
        SELECT (SELECT count(*) FROM community_organisationmembership m WHERE m.role = 'admin' AND (
                    SELECT count(*) FROM guardian_userobjectpermission g JOIN auth_permission p ON p.id = g.permission_id
                    WHERE g.user_id = m.user_id AND g.object_pk = m.organisation_id::text
                    AND p.codename IN ('change_organisation', 'manage_organisation_members')) <> 2)
             + (SELECT count(*) FROM community_organisation o WHERE o.claimed <> EXISTS (
                    SELECT 1 FROM community_organisationmembership m WHERE m.organisation_id = o.id AND m.role = 'admin'))""",
}


def check_invariants() -> dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for label, sql in INVARIANTS.items():
            cursor.execute(sql)
            out[label] = cursor.fetchone()[0]
    return out


def population_summary() -> dict:
    from django.db import connection

    scalars = {
        "organisations": "SELECT count(*) FROM community_organisation",
        "imported": "SELECT count(*) FROM community_organisation WHERE source NOT IN ('bench-synthetic', 'member')",
        "users": "SELECT count(*) FROM community_user",
        "admins": "SELECT count(*) FROM community_organisationmembership WHERE role = 'admin'",
        "publishing_organisations": "SELECT count(DISTINCT organisation_id) FROM partnerships_call",
        "calls": "SELECT count(*) FROM partnerships_call",
        "open_calls": "SELECT count(*) FROM partnerships_call WHERE status = 'published' AND deadline > now()",
        "all_europe_share": "SELECT round(avg(all_europe::int), 3) FROM partnerships_call",
        "anonymous_share": "SELECT round(avg(anonymous::int), 3) FROM partnerships_call",
        "groups_share": "SELECT round(avg((audience = 'groups')::int), 3) FROM partnerships_call",
        "responses": "SELECT count(*) FROM partnerships_response",
        "calls_without_responses": "SELECT count(*) FROM partnerships_call WHERE response_count = 0",
        "max_responses_per_call": "SELECT max(response_count) FROM partnerships_call",
        "max_calls_per_organisation": "SELECT max(c) FROM (SELECT count(*) c FROM partnerships_call GROUP BY organisation_id) s",
        "working_groups": "SELECT count(*) FROM workgroups_workgroup",
        "call_field_rows": "SELECT count(*) FROM partnerships_call_fields",
        "call_stage_rows": "SELECT count(*) FROM partnerships_call_stages",
        "call_country_rows": "SELECT count(*) FROM partnerships_callcountry",
    }
    grouped = {
        "calls_by_status": "SELECT status, count(*) FROM partnerships_call GROUP BY 1 ORDER BY 2 DESC",
        "calls_by_kind": "SELECT kind, count(*) FROM partnerships_call GROUP BY 1 ORDER BY 2 DESC",
        "organisations_by_source": "SELECT source, count(*) FROM community_organisation GROUP BY 1 ORDER BY 2 DESC",
        "organisations_by_number_of_fields": """
            SELECT n, count(*) FROM (SELECT o.id, count(f.field_id) n FROM community_organisation o
            LEFT JOIN community_organisation_fields f ON f.organisation_id = o.id GROUP BY o.id) s GROUP BY n ORDER BY n""",
        "organisations_by_number_of_stages": """
            SELECT n, count(*) FROM (SELECT o.id, count(s.stage_id) n FROM community_organisation o
            LEFT JOIN community_organisation_stages s ON s.organisation_id = o.id GROUP BY o.id) s GROUP BY n ORDER BY n""",
        "open_calls_by_field": """
            SELECT f.slug, count(*) FROM partnerships_call_fields cf JOIN community_field f ON f.id = cf.field_id
            JOIN partnerships_call c ON c.id = cf.call_id WHERE c.status = 'published' AND c.deadline > now()
            GROUP BY 1 ORDER BY 2 DESC""",
        "calls_by_number_of_countries": """
            SELECT n, count(*) FROM (SELECT c.id, count(k.id) n FROM partnerships_call c
            LEFT JOIN partnerships_callcountry k ON k.call_id = c.id GROUP BY c.id) s GROUP BY n ORDER BY n""",
    }
    out: dict = {}
    with connection.cursor() as cursor:
        for key, sql in scalars.items():
            cursor.execute(sql)
            value = cursor.fetchone()[0]
            out[key] = value if isinstance(value, int) else float(value)
        for key, sql in grouped.items():
            cursor.execute(sql)
            out[key] = {str(k): v for k, v in cursor.fetchall()}
    return out


# --- Measuring --------------------------------------------------------------------------------


def query_profile(fn) -> dict:
    """The queries `fn` sends: their count, wall time as Django waits for them, PostgreSQL's own
    time (EXPLAIN ANALYZE, median of 3, as tests/bench/directory.py) and each one's plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    plans = []
    for q in captured.captured_queries:
        sql = q["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        e = explain(sql)
        plans.append(
            {"db_ms": e["db_ms"], **jit_of(sql), "sql": " ".join(sql.split()), "plan": e["plan"]}
        )
    slowest = max(plans, key=lambda p: p["db_ms"], default={"db_ms": 0.0, "sql": ""})
    return {
        "queries": len(captured.captured_queries),
        "db_ms": round(sum(p["db_ms"] for p in plans), 2),
        "jit_ms": round(sum(p["jit_ms"] for p in plans), 2),
        "jit_queries": sum(1 for p in plans if p["jit_ms"]),
        "db_wall_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000, 1),
        "slowest_query_ms": round(slowest["db_ms"], 2),
        "slowest_query": slowest["sql"][:600],
        "plans": plans,
    }


def jit_of(sql: str) -> dict:
    """The planner's estimated cost and the time PostgreSQL spent JIT-compiling the query (its
    Execution Time, hence `db_ms`, includes it): JIT starts above `jit_above_cost`, 100,000."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    return {
        "estimated_cost": round(plan["Plan"]["Total Cost"]),
        "jit_ms": round(plan.get("JIT", {}).get("Timing", {}).get("Total", 0.0), 2),
    }


def measure(viewer: str, scenario: str, fn, args, **extra) -> dict:
    """p50/p95 of `fn` over --requests runs (after --warmup), then its queries' profile."""
    samples = timed(fn, args.requests, args.warmup)
    db = query_profile(fn)
    row = {
        "viewer": viewer,
        "scenario": scenario,
        **samples,
        "goal_p95_ms": GOAL_MS,
        "meets_goal": samples["p95_ms"] <= GOAL_MS,
        **extra,
        **db,
    }
    print(
        f"  {viewer:8} {scenario:44} p50 {row['p50_ms']:6.1f}  p95 {row['p95_ms']:6.1f} ms"
        f"  (db {db['db_ms']:.1f} ms in {db['queries']} queries)",
        file=sys.stderr,
    )
    return row


def probe(client, url: str) -> dict:
    """Whether a page or API answers for real: a placeholder view answers 200 with no body."""
    response = client.get(url)
    body = response.content
    real = response.status_code == 200 and len(body.strip()) > 0
    return {"url": url, "status": response.status_code, "bytes": len(body), "real": real}


def matches_of(user, fn=None, limit: int = 20, offset: int = 0):
    """What "calls for you" returns, comparable between implementations."""
    from partnerships import selectors

    fn = fn or selectors.calls_for_you
    page, total = fn(user, limit=limit, offset=offset)
    return total, [(m.call.pk, m.score, m.fields, m.stages, m.country) for m in page]


def list_work(user, query):
    """What the call list does per request: a page of cards, the count, the facets."""
    from partnerships import selectors

    qs = selectors.call_search(user, query)
    page = list(selectors.call_cards(qs)[:20])
    for call in page:
        list(call.fields.all()), list(call.stages.all()), list(call.country_rows.all())
    return qs.count(), selectors.call_facets(user, query)


def run_scenarios(args, population: dict) -> tuple[list[dict], dict]:
    from django.test import Client

    from community.models import Field, Organisation, User
    from partnerships import selectors

    rows = []
    users = {key: User.objects.get(pk=pk) for key, pk in population["viewers"].items()}
    clients = {}
    for key, user in users.items():
        clients[key] = Client()
        clients[key].force_login(user)
    endpoints = {
        "page": "/calls/for-you/",
        "api": "/api/v1/calls/for-you/",
        "list page": "/calls/",
        "list api": "/api/v1/calls/",
    }
    probes = {label: probe(clients["broad"], url) for label, url in endpoints.items()}
    for p in probes.values():
        if not p["real"]:
            print(
                f"{p['url']} answers {p['status']} with {p['bytes']} bytes: not measured (not written yet).",
                file=sys.stderr,
            )
    popular = Field.objects.get(slug=FIELD_POPULARITY[0])
    for key, user in users.items():
        total, page = matches_of(user)
        info = {"total": total, "page": len(page), "top": page[:3]}
        for label in ("page", "api"):
            if probes[label]["real"]:
                url = endpoints[label]
                rows.append(
                    measure(
                        key,
                        f"{label} {url}",
                        partial(clients[key].get, url),
                        args,
                        url=url,
                        **info,
                    )
                )
        rows.append(
            measure(
                key,
                "selectors.calls_for_you",
                partial(calls_for_you_now, user),
                args,
                **info,
            )
        )
        if key == "broad":
            rows.append(
                measure(
                    key,
                    "selectors.calls_for_you, page 5",
                    partial(calls_for_you_now, user, offset=80),
                    args,
                    arguments={"offset": 80},
                )
            )
        org_country = str(Organisation.objects.get(pk=population["viewer_orgs"][key]).country)
        queries = (
            ("list: open calls + facets", selectors.CallQuery(), "/calls/"),
            (
                f"list: field={popular.slug}&country={org_country}",
                selectors.CallQuery(field=[popular.slug], country=[org_country]),
                f"/calls/?field={popular.slug}&country={org_country}",
            ),
        )
        for label, query, url in queries:
            if probes["list page"]["real"]:
                rows.append(
                    measure(key, f"page {url}", partial(clients[key].get, url), args, url=url)
                )
            rows.append(measure(key, f"selectors {label}", partial(list_work, user, query), args))
    return rows, probes


# --- Prototypes: proposed changes, tried in this process and database only ---------------------


def proto_calls_for_you(viewer, *, organisation=None, limit: int = 20, offset: int = 0):
    """selectors.calls_for_you with the shared fields and stages counted by a join (the proposed change).

    Same rule, same score, same order, same reasons. The selector annotates
    every open call it may show with correlated sub-queries (fields shared,
    stages shared, country named) and runs them twice, for the count and for
    the page: 2 to 6 index probes per open call, and estimated costs high
    enough to start PostgreSQL's JIT (20 to 40 ms of compiling per query).
    Here one query joins the candidates (calls sharing a field or a stage,
    through hashed sub-plans) to both link tables and counts per call
    (`COUNT(DISTINCT ...) FILTER`, merge joins over the link tables' unique
    indexes); Python scores, orders and cuts the page, and the page's cards
    are read by id. A call that matches and does not seek all of Europe names
    the viewer's country (the filter guarantees it): the country point needs
    no query.
    """
    from django.db.models import Count, Exists, OuterRef, Q, Value

    from partnerships import selectors as sel
    from partnerships.models import Call, CallCountry, Response

    viewer = sel.viewer_of(viewer)
    org, fields, stages, country = sel.profile_for_matching(viewer, organisation)
    if not (fields or stages):
        return [], 0
    qs = sel._state(sel.calls_visible(viewer), "open")
    if viewer.organisation_ids:
        qs = qs.exclude(organisation_id__in=viewer.organisation_ids).exclude(
            Exists(
                Response.objects.filter(
                    call_id=OuterRef("pk"), organisation_id__in=viewer.organisation_ids
                )
            )
        )
    if country:
        named = CallCountry.objects.filter(call_id=OuterRef("pk"), country=country)
        qs = qs.filter(Q(all_europe=True) | Exists(named))
    linked = Q()
    if fields:
        linked |= Q(
            pk__in=Call.fields.through.objects.filter(field_id__in=fields).values("call_id")
        )
    if stages:
        linked |= Q(
            pk__in=Call.stages.through.objects.filter(stage_id__in=stages).values("call_id")
        )
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
    for pk, deadline, everywhere, f, s in rows:
        named_here = bool(country) and not everywhere
        scored.append((-(3 * f + 2 * s + named_here), deadline, pk, f, s, named_here))
    scored.sort()
    page = scored[offset : offset + limit]
    cards = sel.call_cards(Call.objects.filter(pk__in=[row[2] for row in page])).in_bulk()
    matches = []
    for minus_score, _deadline, pk, _f, _s, named_here in page:
        call = cards[pk]
        matches.append(
            sel.Match(
                call=call,
                score=-minus_score,
                fields=[x.name for x in call.fields.all() if x.pk in fields],
                stages=[x.name for x in call.stages.all() if x.pk in stages],
                country=country if named_here else "",
            )
        )
    return matches, len(scored)


ORIGINAL: dict = {}


class prototypes:
    """Swaps proto_calls_for_you in for selectors.calls_for_you (views and API read it through
    the module), in this process only, then restores it."""

    def __enter__(self):
        from partnerships import selectors

        ORIGINAL["calls_for_you"] = selectors.calls_for_you
        selectors.calls_for_you = proto_calls_for_you
        return self

    def __exit__(self, *exc):
        from partnerships import selectors

        selectors.calls_for_you = ORIGINAL.pop("calls_for_you")
        return False


class jit_off:
    """PostgreSQL's JIT off for this connection, as `DATABASES["default"]["OPTIONS"] =
    {"options": "-c jit=off"}` would set it for every connection; then back to the server's default."""

    def __enter__(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        return self

    def __exit__(self, *exc):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("RESET jit")
        return False


class prototype_and_jit_off:
    """Both proposed changes at once."""

    def __enter__(self):
        self.parts = [prototypes(), jit_off()]
        for part in self.parts:
            part.__enter__()
        return self

    def __exit__(self, *exc):
        for part in reversed(self.parts):
            part.__exit__(*exc)
        return False


# What is compared, request by request: the code as it is, and the proposed changes.
VARIANTS = {
    "selector": contextlib.nullcontext,
    "selector, JIT off": jit_off,
    "prototype": prototypes,
    "prototype, JIT off": prototype_and_jit_off,
}


# --- Running ----------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--organisations", type=int, default=20_000, help="imported + synthetic (default 20,000)"
    )
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument(
        "--publishers", type=int, default=2000, help="organisations that publish calls"
    )
    parser.add_argument(
        "--responders", type=int, default=800, help="organisations that only respond"
    )
    parser.add_argument(
        "--requests", type=int, default=200, help="timed runs per scenario (default 200)"
    )
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--database", default=BENCH_DB, help=f"the benchmark's own database (default {BENCH_DB})"
    )
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder of the open data sets")
    parser.add_argument(
        "--no-import", action="store_true", help="synthesise every organisation (no open data)"
    )
    parser.add_argument(
        "--no-verify", action="store_true", help="skip building a sample through the services"
    )
    parser.add_argument("--no-prototypes", action="store_true", help="skip timing the prototypes")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database afterwards (to run EXPLAIN by hand)"
    )
    args = parser.parse_args(argv)
    if (
        args.calls < args.publishers + 9
        or args.organisations < args.publishers + args.responders + 100
    ):
        parser.error(
            "needs more calls than publishers, and more organisations than publishers and responders"
        )
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    args.started = time.perf_counter()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not server_url.startswith(("postgres://", "postgresql://")):
        print(
            "The partnership benchmark needs PostgreSQL: set DATABASE_URL=postgres://...",
            file=sys.stderr,
        )
        return 2
    if args.database == urlsplit(server_url).path.lstrip("/"):
        print(
            f"Refusing to use {args.database!r}: it is DATABASE_URL's own database.",
            file=sys.stderr,
        )
        return 2
    missing = [f for f in PRESETS.values() if not (args.data / f).is_file()]
    if missing and not args.no_import:
        print(
            f"Data files missing under {args.data}: {', '.join(missing)} (or --no-import)",
            file=sys.stderr,
        )
        return 2
    print(
        f"Creating database {args.database!r} on {urlsplit(server_url).hostname}...",
        file=sys.stderr,
    )
    recreate_database(server_url, args.database)
    os.environ["DATABASE_URL"] = with_database(server_url, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_API_ANON_RATE"] = "1000000/min"
    os.environ["DJANGO_API_USER_RATE"] = "1000000/min"
    # Work queued by the services (in the sample, rolled back) stays in the database; the
    # directory's facet-cache version lives under a prefix of its own, not the site's.
    os.environ.setdefault("DJANGO_TASKS_BACKEND", "database")
    os.environ.setdefault("DJANGO_CACHE_PREFIX", "bench-partnerships")
    try:
        import django

        django.setup()
        from django.conf import settings

        settings.DEBUG = False
        logging.getLogger("django.request").setLevel(logging.ERROR)
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(server_url, args.database, drop_only=True)
            print(f"Dropped database {args.database!r}.", file=sys.stderr)
        else:
            print(f"Kept database {args.database!r}: psql -d {args.database}", file=sys.stderr)


def run(args) -> int:
    from django.core.management import call_command
    from django.db import connection

    t = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - t
    print(f"Migrated in {migrate_s:.1f} s.", file=sys.stderr)

    verification = None
    if not args.no_verify:
        print(
            "Building a sample through the services and through the bulk builder...",
            file=sys.stderr,
        )
        verification = verify_sample(args)
        print(
            f"  {verification['calls']} calls, {verification['responses']} responses: "
            f"{'equal' if verification['equal'] else 'DIFFERENT'}; services "
            f"{verification['services_ms_per_call_with_its_responses']} ms per call with its responses",
            file=sys.stderr,
        )
        for line in verification["differences"]:
            print("   ", line, file=sys.stderr)

    imports = []
    if not args.no_import:
        imports = do_imports(args)
    setup: dict[str, float] = {}
    print("Building the population...", file=sys.stderr)
    population = build_population(args, setup)
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    setup["VACUUM ANALYZE"] = time.perf_counter() - t
    invariants = check_invariants()
    summary = population_summary()
    print(f"Built in {sum(setup.values()):.1f} s.", file=sys.stderr)
    broken = {k: v for k, v in invariants.items() if v}
    if broken:
        print(f"INVARIANTS BROKEN: {broken}", file=sys.stderr)

    load_before = os.getloadavg()
    print("Timing...", file=sys.stderr)
    rows, probes = run_scenarios(args, population)
    proto_rows, comparisons = [], {}
    if not args.no_prototypes:
        print("Timing the prototype (this process only)...", file=sys.stderr)
        proto_rows, comparisons = run_prototypes(args, population, rows)

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": {k: str(v) for k, v in vars(args).items() if k not in ("keep", "started")},
        "run_seconds_before_drop": round(time.perf_counter() - args.started),
        "migrate_seconds": round(migrate_s, 1),
        "imports": imports,
        "import_seconds": round(sum(i["seconds"] for i in imports), 1),
        "setup_seconds": {k: round(v, 2) for k, v in setup.items()},
        "setup_total_seconds": round(sum(setup.values()), 1),
        "verification": verification,
        "invariants": invariants,
        "population": summary,
        "viewers": {
            k: {
                "user": population["viewers"][k],
                "organisation": population["viewer_orgs"][k],
                "label": VIEWER_LABELS[k],
            }
            for k in VIEWER_ORGS
        },
        "probes": probes,
        "goal_p95_ms": GOAL_MS,
        "requests_per_scenario": args.requests,
        "results": rows,
        "prototypes": proto_rows,
        "prototypes_order": comparisons,
        "commit": git_commit(),
        "postgres": connection.cursor().connection.info.server_version,
        "cpus": os.cpu_count(),
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    print_report(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"partnerships-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nWritten to {out.relative_to(ROOT)}")
    ok = (
        not broken
        and (verification is None or verification["equal"])
        and all(c["same_matches"] and c["same_total"] for c in comparisons.values())
    )
    return 0 if ok else 1


def all_matches(user, fn, size: int = 20) -> tuple[int, list[tuple]]:
    """Every match, page after page as the views ask: (total, [(call, score, fields, stages, country, deadline)])."""
    out, offset = [], 0
    while True:
        page, total = fn(user, limit=size, offset=offset)
        out += [
            (m.call.pk, m.score, tuple(m.fields), tuple(m.stages), m.country, m.call.deadline)
            for m in page
        ]
        offset += size
        if offset >= total or not page:
            return total, out


def compare_matches(user) -> dict:
    """The prototype against the selector: the same matches (call, score, reasons) and totals;
    and whether each orders them by the documented score across pages."""
    from partnerships import selectors

    total_a, a = all_matches(user, selectors.calls_for_you)
    total_b, b = all_matches(user, proto_calls_for_you)

    def documented(rows):
        return sorted(rows, key=lambda r: (-r[1], r[5], r[0]))

    return {
        "total": total_a,
        "same_total": total_a == total_b,
        "same_matches": sorted(a) == sorted(b) and len(set(a)) == len(a),
        "selector_in_documented_order": a == documented(a),
        "selector_positions_out_of_order": sum(
            x != y for x, y in zip(a, documented(a), strict=True)
        ),
        "selector_first_page_is_top_20": a[:20] == documented(a)[:20],
        "prototype_in_documented_order": b == documented(b),
    }


def run_prototypes(args, population, rows) -> tuple[list[dict], dict]:
    """The same "calls for you" scenarios with proto_calls_for_you swapped in."""
    from community.models import User

    same, out = {}, []
    users = {key: User.objects.get(pk=pk) for key, pk in population["viewers"].items()}
    for key, user in users.items():
        same[key] = compare_matches(user)
        print(f"  {key:8} prototype vs selector: {same[key]}", file=sys.stderr)
    before = {(r["viewer"], r["scenario"]): r for r in rows}
    from django.test import Client

    for key, user in users.items():
        client = Client()
        client.force_login(user)
        for (viewer, scenario), r in before.items():
            wanted = "for-you" in scenario or scenario == "selectors.calls_for_you"
            if viewer != key or not wanted:
                continue
            fn = partial(client.get, r["url"]) if "url" in r else partial(calls_for_you_now, user)
            times = interleaved(fn, args)
            profiles = {}
            for name, variant in VARIANTS.items():
                with variant():
                    profiles[name] = query_profile(fn)
            row = {
                "viewer": key,
                "scenario": scenario,
                "total": r.get("total", ""),
                "goal_p95_ms": GOAL_MS,
                "variants": {
                    name: {
                        **times[name],
                        "meets_goal": times[name]["p95_ms"] <= GOAL_MS,
                        **profiles[name],
                    }
                    for name in VARIANTS
                },
            }
            print(
                f"  {key:8} {scenario:28} "
                + "  ".join(
                    f"{name} p50 {t['p50_ms']:.1f} p95 {t['p95_ms']:.1f} (db {profiles[name]['db_ms']:.1f})"
                    for name, t in times.items()
                ),
                file=sys.stderr,
            )
            out.append(row)
    return out, same


def interleaved(fn, args) -> dict[str, dict]:
    """p50/p95 of `fn` under each of VARIANTS, run in turn request by request (the order
    rotating), so that all see the same load on a shared machine. Switching is not timed."""
    names = list(VARIANTS)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(args.warmup + args.requests):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            with VARIANTS[name]():
                t0 = time.perf_counter()
                fn()
                elapsed = (time.perf_counter() - t0) * 1000
            if i >= args.warmup:
                samples[name].append(elapsed)
    return {
        name: {
            "p50_ms": round(percentile(xs, 0.5), 2),
            "p95_ms": round(percentile(xs, 0.95), 2),
            "max_ms": round(max(xs), 2),
        }
        for name, xs in samples.items()
    }


def calls_for_you_now(user, **kwargs):
    """Whatever selectors.calls_for_you is at call time (the selector, or the prototype swapped in)."""
    from partnerships import selectors

    return selectors.calls_for_you(user, **kwargs)


def print_report(report: dict) -> None:
    pop, v = report["population"], report["verification"]
    print()
    print(
        f"Population: {pop['organisations']:,} organisations ({pop['imported']:,} imported), {pop['users']:,} users "
        f"({pop['admins']:,} admins), {pop['calls']:,} calls by {pop['publishing_organisations']:,} organisations "
        f"({pop['open_calls']:,} open; {pop['calls_by_status']}), {pop['responses']:,} responses, "
        f"{pop['working_groups']} working groups"
    )
    print(
        f"  all of Europe {pop['all_europe_share']:.0%}, anonymous {pop['anonymous_share']:.0%}, "
        f"to groups {pop['groups_share']:.0%}; fields per organisation {pop['organisations_by_number_of_fields']}; "
        f"stages {pop['organisations_by_number_of_stages']}"
    )
    if report["imports"]:
        print(
            f"Imports: {report['import_seconds']} s ("
            + ", ".join(
                f"{i['preset']} {i['created']:,} in {i['seconds']} s" for i in report["imports"]
            )
            + ")"
        )
    print(
        f"Setup: migrate {report['migrate_seconds']} s; build {report['setup_total_seconds']} s ("
        + ", ".join(f"{k} {s}" for k, s in report["setup_seconds"].items())
        + ")"
    )
    if v:
        print(
            f"Services vs bulk builder on a sample ({v['organisations']} organisations, {v['calls']} calls "
            f"{v['covered']}, {v['responses']} responses): {'identical' if v['equal'] else 'DIFFERENT'}; "
            f"services {v['services_seconds']} s ({v['services_ms_per_call_with_its_responses']} ms per call "
            f"with its responses), bulk {v['bulk_seconds']} s"
        )
    bad = {k: n for k, n in report["invariants"].items() if n}
    print(f"Invariants over the whole database: {bad or 'all hold'}")
    for label, p in report["probes"].items():
        if not p["real"]:
            print(
                f"Not measured: {label} {p['url']} (answers {p['status']}, {p['bytes']} bytes: not written yet)"
            )
    print()
    for key, viewer in report["viewers"].items():
        print(f"  {key:8} {viewer['label']}")
    print()
    header = (
        f"{'viewer':8} {'scenario':46} {'matches':>7} {'p50':>6} {'p95':>6} {'ok':>3} "
        f"{'db ms':>6} {'JIT':>5} {'db wall':>7} {'queries':>7} {'slowest':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in report["results"]:
        print(
            f"{r['viewer']:8} {r['scenario'][:46]:46} {r.get('total', ''):>7} {r['p50_ms']:>6.1f} {r['p95_ms']:>6.1f} "
            f"{'yes' if r['meets_goal'] else 'NO':>3} {r['db_ms']:>6.1f} {r['jit_ms']:>5.1f} {r['db_wall_ms']:>7.1f} {r['queries']:>7} "
            f"{r['slowest_query_ms']:>7.2f}"
        )
    if report["prototypes"]:
        print()
        names = list(VARIANTS)
        header = f"{'viewer':8} {'p50 / p95 (db ms, of it JIT)':28} " + " ".join(
            f"{name:>24}" for name in names
        )
        print(header)
        print("-" * len(header))
        for r in report["prototypes"]:
            cells = []
            for name in names:
                v = r["variants"][name]
                cells.append(
                    f"{v['p50_ms']:>5.0f} /{v['p95_ms']:>4.0f}{' ' if v['meets_goal'] else '!'} ({v['db_ms']:>3.0f}, {v['jit_ms']:>2.0f})"
                )
            print(f"{r['viewer']:8} {r['scenario'][:28]:28} " + " ".join(f"{c:>24}" for c in cells))
        print(
            "The four measured in turn, request by request. ! misses the goal; db ms: PostgreSQL's own time"
        )
        print(
            "(EXPLAIN ANALYZE), JIT: the part of it spent compiling (jit_above_cost 100,000). JIT off: SET jit = off,"
        )
        print(
            'as DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off"} would do for every connection.'
        )
    for key, c in report["prototypes_order"].items():
        print(
            f"  {key:8} prototype: same {c['total']} matches {'yes' if c['same_matches'] and c['same_total'] else 'NO'}; "
            f"selector in the documented order across pages: {'yes' if c['selector_in_documented_order'] else 'NO'} "
            f"({c['selector_positions_out_of_order']} positions differ, first page the top 20: "
            f"{'yes' if c['selector_first_page_is_top_20'] else 'no'}); prototype: "
            f"{'yes' if c['prototype_in_documented_order'] else 'NO'}"
        )
    print(
        f"\nGoal: p95 <= {report['goal_p95_ms']} ms. Times in ms from Python (Django's test Client for pages),"
    )
    print(
        "matches: the total of 'calls for you'; db ms: PostgreSQL's own time (EXPLAIN ANALYZE) summed over the"
    )
    print(
        "queries (JIT: the part of it spent JIT-compiling); db wall: those queries as Django waits for them;"
    )
    print("slowest: the costliest query. Plans, estimated costs and the SQL are in the JSON.")
    load = report["load_average"]
    print(
        f"{report['cpus']} CPUs; load average before {load['before']}, after {load['after']}; "
        f"the run took {report['run_seconds_before_drop'] / 60:.1f} min; code at {report['commit']}."
    )


if __name__ == "__main__":
    sys.exit(main())
