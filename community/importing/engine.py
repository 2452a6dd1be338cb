"""The organisation import: check every row in Python, then write in batches.

    result = import_organisations(path="hospitals.csv", preset="gisco-hospitals")

How a run goes:

1. Read the file and map its columns to Organisation fields (`--map`,
   `--set`, a preset, or columns already named like the fields).
2. Clean every row (cleaning.py). Rejected rows are recorded with a reason and
   never stop the others.
3. Find duplicates, within the file and against the database: the same
   website domain, or the same name (folded, punctuation ignored, Greek and
   Cyrillic spelt in Latin) and country. A domain that GROUP_LIMIT or more
   differently named rows of the file use is a group's or a portal's site, not
   an identity (krages.at runs four hospitals; two names on one domain are
   nearly always one organisation: "KU Leuven" and "Katholieke Universiteit
   Leuven"), so it matches nothing; above PORTAL_LIMIT the website is dropped
   too (helsenorge.no serves 640 Norwegian hospitals; its address must not let
   anyone with a helsenorge.no email claim them all).
4. Write batch by batch, each in one transaction: new organisations (COPY on
   PostgreSQL, bulk_create elsewhere; slugs from a preloaded set), their
   stage and field links, the search columns computed here and the tsvector
   refreshed in one UPDATE. If a batch fails in the database, its rows are
   retried one by one so that only the bad row is rejected, and a row never
   exists without its links.

A row that matches an existing organisation fills only what is empty there,
and only if nobody has claimed it: what members wrote is theirs. So a second
run of the same file creates nothing and changes nothing.
"""

import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from community import search
from community.importing import readers
from community.importing.cleaning import (
    LIST_TARGETS,
    TARGETS,
    Cleaner,
    CleanRow,
    Rejected,
    name_key,
)
from community.importing.presets import PRESETS, Preset
from community.importing.progress import NoProgress, Progress
from community.importing.translit import latinise
from community.models import Field, Organisation, Stage
from community.services import unique_slug
from community.text import fold, normalise_name, website_domain

BATCH_SIZE = 500
GROUP_LIMIT = 3
PORTAL_LIMIT = 25
SOURCE_MAX = Organisation._meta.get_field("source").max_length
# Fields an import may fill on an existing, unclaimed organisation when empty.
FILLABLE = ("city", "website", "description", "offers", "size_band")


class ImportFailed(ValueError):
    """The import cannot start (unreadable file, mapping to a missing column...)."""


@dataclass(slots=True)
class Issue:
    line: int
    where: str
    name: str
    outcome: str  # rejected, warning, duplicate, updated, unchanged
    reason: str
    detail: str = ""


@dataclass
class ImportResult:
    source: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    encoding: str = ""
    issues: list[Issue] = field(default_factory=list)

    @property
    def rejections(self) -> list[Issue]:
        return [i for i in self.issues if i.outcome == "rejected"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.outcome == "warning"]

    def reasons(self, outcome: str = "rejected") -> Counter:
        return Counter(i.reason for i in self.issues if i.outcome == outcome)


# --- Targets: what a row turns into -------------------------------------------


@dataclass(eq=False)
class _New:
    """An organisation this run will create, and the rows merged into it."""

    row: CleanRow
    values: dict[str, Any]
    stages: list[str]
    fields: list[str]
    followers: list[CleanRow] = field(default_factory=list)
    keys: list[tuple[str, Any]] = field(default_factory=list)

    def absorb(self, row: CleanRow) -> None:
        for key, value in row.values.items():
            if key not in ("latitude", "longitude"):
                self.values.setdefault(key, value)
        if "latitude" in row.values and "latitude" not in self.values:
            self.values["latitude"] = row.values["latitude"]
            self.values["longitude"] = row.values["longitude"]
        self.stages += [s for s in row.stages if s not in self.stages]
        self.fields += [f for f in row.fields if f not in self.fields]
        self.followers.append(row)


@dataclass(eq=False)
class _Existing:
    """An organisation in the database: there before the run, or created by it."""

    pk: int
    made_here: bool = False
    origin: str = ""  # for one made here: where its first row was
    seen: bool = False  # a row of this run matched it already
    fills: dict[str, Any] = field(default_factory=dict)
    stages: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    keys: list[tuple[str, Any]] = field(default_factory=list)

    def absorb(self, row: CleanRow) -> None:
        for key, value in row.values.items():
            if key not in ("latitude", "longitude"):
                self.fills.setdefault(key, value)
        if "latitude" in row.values and "latitude" not in self.fills:
            self.fills["latitude"] = row.values["latitude"]
            self.fills["longitude"] = row.values["longitude"]
        self.stages += [s for s in row.stages if s not in self.stages]
        self.fields += [f for f in row.fields if f not in self.fields]


@dataclass(slots=True)
class _Plan:
    """What to change on one existing organisation."""

    pk: int
    changes: dict[str, Any]
    stages: list[str]
    fields: list[str]
    row: CleanRow | None = None  # the row that brought the changes, for the report


# --- The run -------------------------------------------------------------------


def parse_pairs(pairs: list[str] | None, what: str) -> dict[str, str]:
    """["name=hospital_name", ...] -> {"name": "hospital_name"}; checks the targets."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        target, sep, value = pair.partition("=")
        target = target.strip()
        if not sep or not target:
            raise ImportFailed(f"{what} takes target=value, not {pair!r}.")
        if target not in TARGETS:
            raise ImportFailed(
                f"Unknown target {target!r} in {what}; targets are: {', '.join(TARGETS)}."
            )
        out[target] = value.strip()
    return out


def _resolve_columns(mapping: dict[str, str], header: list[str], fmt: str) -> dict[str, str]:
    """Mapping sources matched to the file's headers, forgiving case and spacing."""
    by_folded = {readers.clean_header(h).casefold(): h for h in header}
    resolved: dict[str, str] = {}
    missing = []
    for target, source in mapping.items():
        if source in header:
            resolved[target] = source
            continue
        folded = readers.clean_header(source).casefold()
        if folded in by_folded:
            resolved[target] = by_folded[folded]
            continue
        first = source.split(".", 1)[0]
        if "." in source and (first in header or first.casefold() in by_folded):
            resolved[target] = (
                source if first in header else by_folded[first.casefold()] + source[len(first) :]
            )
            continue
        if fmt == "json" and header == []:
            resolved[target] = source
            continue
        missing.append(f"{target}={source}")
    if missing:
        shown = ", ".join(header[:40])
        raise ImportFailed(f"Not in the file: {', '.join(missing)}. Its columns are: {shown}")
    return resolved


def import_organisations(
    *,
    path: str | Path,
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    constants: dict[str, str] | None = None,
    source: str | None = None,
    preset: str | None = None,
    dry_run: bool = False,
    report_path: str | Path | None = None,
    progress: TextIO | bool | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Imports organisations from a CSV or JSON file; see the module docstring.

    `progress`: a stream for the progress bar (True: stderr; None/False: none).
    """
    started = time.perf_counter()
    chosen: Preset | None = None
    if preset:
        try:
            chosen = PRESETS[preset]
        except KeyError:
            raise ImportFailed(
                f"Unknown preset {preset!r}; presets are: {', '.join(PRESETS)}."
            ) from None
    path = Path(path)
    source = (source or (chosen.name if chosen else "") or path.stem)[:SOURCE_MAX]
    result = ImportResult(source=source, dry_run=dry_run)

    try:
        fmt = readers.detect_format(path, fmt)
        records, header, result.encoding = readers.read(path, fmt)
    except readers.ReadError as exc:
        raise ImportFailed(str(exc)) from None
    if chosen and chosen.reader:
        records = chosen.reader(records)
        header = sorted({k for r in records for k in r.data})
    full_mapping = {**(chosen.mapping if chosen else {}), **(mapping or {})}
    full_constants = {**(chosen.constants if chosen else {}), **(constants or {})}
    for target in list(full_mapping):
        if target in full_constants:
            del full_mapping[target]  # a constant wins over a column
    resolved = _resolve_columns(full_mapping, header, fmt)
    # Columns already named like a target need no --map.
    for target in TARGETS:
        if target not in resolved and target not in full_constants and target in header:
            resolved[target] = target
    if "name" not in resolved and "name" not in full_constants:
        raise ImportFailed(
            f"Nothing gives the name: add --map name=COLUMN. Its columns are: {', '.join(header[:40])}"
        )

    stages = list(Stage.objects.values_list("pk", "slug", "name"))
    fields = list(Field.objects.values_list("pk", "slug", "name"))
    cleaner = Cleaner(
        stage_slugs=_lookup(stages),
        field_slugs=_lookup(fields),
        missing_country_reason=chosen.missing_country_reason if chosen else "",
    )
    result.rows = len(records)

    # Pass 1: clean every row (pure Python, no queries).
    cleaned: list[CleanRow | None] = []
    for record in records:
        raw = {t: readers.get_path(record.data, s) for t, s in resolved.items()}
        raw.update(full_constants)
        try:
            if "__not_object__" in record.data:
                raise Rejected("not an object")
            if "__extra__" in record.data:
                # A value with an unquoted delimiter shifts every column after it.
                extra = len(record.data["__extra__"])
                raise Rejected("more columns than the header", f"{extra} more")
            row = cleaner.clean(record.line, record.where, raw)
            if chosen and chosen.hook:
                chosen.hook(row)
        except Rejected as exc:
            name = str(raw.get("name") or "")[:120]
            result.issues.append(
                Issue(record.line, record.where, name, "rejected", exc.reason, exc.detail)
            )
            result.rejected += 1
            cleaned.append(None)
            continue
        cleaned.append(row)
    shared = _shared_domains(r for r in cleaned if r)
    for row in cleaned:
        if row and row.domain in shared:
            if shared[row.domain] > PORTAL_LIMIT:
                row.warnings.append(
                    (
                        f"website shared by more than {PORTAL_LIMIT} organisations (a portal), dropped",
                        row.values["website"],
                    )
                )
                del row.values["website"]
            row.domain = ""  # a shared domain identifies nobody
        for reason, detail in row.warnings if row else ():
            result.issues.append(Issue(row.line, row.where, row.name, "warning", reason, detail))

    # Pass 2: match and write, batch by batch.
    writer = _Writer(
        result=result,
        source=source,
        stages={slug: (pk, name) for pk, slug, name in stages},
        fields={slug: (pk, name) for pk, slug, name in fields},
        dry_run=dry_run,
        shared=shared,
    )
    bar = (
        Progress(len(records), stream=None if progress is True else progress)
        if progress
        else NoProgress()
    )
    for start in range(0, len(cleaned), batch_size):
        chunk = cleaned[start : start + batch_size]
        writer.batch([r for r in chunk if r])
        bar.advance(len(chunk))
    bar.finish()

    result.issues.sort(key=lambda i: (i.line, i.outcome))
    result.seconds = time.perf_counter() - started
    if report_path:
        write_report(result, report_path)
    return result


def _lookup(rows: list[tuple[int, str, str]]) -> dict[str, str]:
    table = {}
    for _pk, slug, name in rows:
        table[slug] = slug
        table[fold(name)] = slug
    return table


def _shared_domains(rows) -> dict[str, int]:
    """Domains that GROUP_LIMIT or more differently named rows use, with how many names."""
    names: dict[str, set] = {}
    for row in rows:
        if row.domain:
            names.setdefault(row.domain, set()).add((row.name_key, row.values["country"]))
    return {domain: len(keys) for domain, keys in names.items() if len(keys) >= GROUP_LIMIT}


class _DocumentSource:
    """An organisation as search.document_for() reads it, with the kind's label looked up once.

    get_kind_display() hashes the choices and translates on every call, which
    was a third of the import's time.
    """

    __slots__ = ("name", "city", "country", "description", "offers", "_kind")

    def __init__(self, org: Organisation, kind_label: str):
        self.name, self.city, self.country = org.name, org.city, org.country
        self.description, self.offers = org.description, org.offers
        self._kind = kind_label

    def get_kind_display(self) -> str:
        return self._kind


class _Writer:
    def __init__(
        self,
        *,
        result: ImportResult,
        source: str,
        stages: dict,
        fields: dict,
        dry_run: bool,
        shared: dict,
    ):
        self._kind_labels = {k: str(label) for k, label in Organisation.Kind.choices}
        self.result = result
        self.source = source
        self.stages = stages  # slug -> (pk, name)
        self.fields = fields
        self.dry_run = dry_run
        self.by_domain: dict[str, _New | _Existing] = {}
        self.by_name: dict[tuple[str, str], _New | _Existing] = {}
        self.taken: set[str] = set()
        known: dict[int, _Existing] = {}
        domains: dict[str, list[int]] = {}
        rows = Organisation.objects.order_by("pk").values_list(
            "pk", "name", "country", "website_domain", "slug"
        )
        for pk, name, country, domain, slug in rows.iterator(chunk_size=5000):
            self.taken.add(slug)
            key = (name_key(name), country)
            if key not in self.by_name:
                self.by_name[key] = known.setdefault(pk, _Existing(pk))
            if domain and domain not in shared:
                domains.setdefault(domain, []).append(pk)
        for domain, pks in domains.items():
            # A domain several organisations already share identifies none of them.
            if len(pks) == 1:
                self.by_domain[domain] = known.setdefault(pks[0], _Existing(pks[0]))

    # Matching

    def _match(self, row: CleanRow) -> tuple[_New | _Existing | None, str]:
        if row.domain and row.domain in self.by_domain:
            return self.by_domain[row.domain], "same website domain"
        target = self.by_name.get((row.name_key, row.values["country"]))
        return (target, "same name and country") if target else (None, "")

    def _register(self, row: CleanRow, target: _New | _Existing) -> None:
        if row.domain and row.domain not in self.by_domain:
            self.by_domain[row.domain] = target
            target.keys.append(("domain", row.domain))
        key = (row.name_key, row.values["country"])
        if key not in self.by_name:
            self.by_name[key] = target
            target.keys.append(("name", key))

    def _rekey(self, target: _New, replacement: _Existing | None) -> None:
        for table_name, key in target.keys:
            table = self.by_domain if table_name == "domain" else self.by_name
            if replacement is None:
                table.pop(key, None)
            else:
                table[key] = replacement
                replacement.keys.append((table_name, key))

    def batch(self, rows: list[CleanRow]) -> None:
        new: list[_New] = []
        touched: dict[int, _Existing] = {}
        # Organisations that were there before the run, matched for the first time.
        first_rows: dict[int, tuple[CleanRow, str]] = {}
        for row in rows:
            target, why = self._match(row)
            if target is None:
                target = _New(
                    row=row,
                    values=dict(row.values),
                    stages=list(row.stages),
                    fields=list(row.fields),
                )
                new.append(target)
            elif isinstance(target, _New):
                target.absorb(row)
                self._duplicate(row, why, target.row.where)
            else:
                target.absorb(row)
                touched[target.pk] = target
                if target.made_here:
                    self._duplicate(row, why, target.origin)
                elif target.seen:
                    self._duplicate(row, why, "a row that matched the same existing organisation")
                else:
                    target.seen = True
                    first_rows[target.pk] = (row, why)
            self._register(row, target)

        plans = self._plan(touched, first_rows)
        if self.dry_run:
            self.result.created += len(new)
            return
        try:
            with transaction.atomic():
                created = self._create(new)
                self._apply(plans)
        except DatabaseError:
            created = self._retry_one_by_one(new, plans)
        else:
            self.result.created += len(created)
        for target in new:
            pk = created.get(target.row.line)
            if pk is not None:
                self._rekey(
                    target, _Existing(pk, made_here=True, origin=target.row.where, seen=True)
                )

    def _duplicate(self, row: CleanRow, why: str, of: str) -> None:
        self.result.duplicates += 1
        self.result.issues.append(
            Issue(row.line, row.where, row.name, "duplicate", why, f"of {of}")
        )

    # Creating

    def _build(self, target: _New) -> Organisation:
        org = Organisation(
            **{k: v for k, v in target.values.items() if k not in LIST_TARGETS},
            claimed=False,
            source=self.source,
        )
        org.slug = unique_slug(latinise(org.name), self.taken)
        self.taken.add(org.slug)
        # The derived columns search.index() computes, without reading the rows back.
        org.normalised_name = normalise_name(org.name)
        org.website_domain = website_domain(org.website)
        org.search_document = search.document_for(
            _DocumentSource(org, self._kind_labels[org.kind]),
            [self.stages[s][1] for s in target.stages],
            [self.fields[f][1] for f in target.fields],
        )
        return org

    def _create(self, targets: list[_New]) -> dict[int, int]:
        """Creates `targets` with their links and search vectors; returns line -> pk.

        Caller holds a transaction: an organisation never exists without its links.
        """
        if not targets:
            return {}
        orgs = [self._build(t) for t in targets]
        insert_organisations(orgs)
        pairs = list(zip(orgs, targets, strict=True))
        stage_link, field_link = Organisation.stages.through, Organisation.fields.through
        stage_link.objects.bulk_create(
            [
                stage_link(organisation_id=o.pk, stage_id=self.stages[s][0])
                for o, t in pairs
                for s in t.stages
            ],
            batch_size=2000,
        )
        field_link.objects.bulk_create(
            [
                field_link(organisation_id=o.pk, field_id=self.fields[f][0])
                for o, t in pairs
                for f in t.fields
            ],
            batch_size=2000,
        )
        search.refresh_vectors(Organisation.objects.filter(pk__in=[o.pk for o in orgs]))
        return {t.row.line: o.pk for o, t in pairs}

    def _retry_one_by_one(self, new: list[_New], plans: list[_Plan]) -> dict[int, int]:
        created: dict[int, int] = {}
        for target in new:
            try:
                with transaction.atomic():
                    created.update(self._create([target]))
            except DatabaseError as exc:
                self._reject_target(target, exc)
            else:
                self.result.created += 1
        for plan in plans:
            try:
                with transaction.atomic():
                    self._apply([plan])
            except DatabaseError as exc:
                # The organisation stays as it was; the row's values are what failed.
                if plan.row:
                    row = plan.row
                    self.result.issues.append(
                        Issue(
                            row.line, row.where, row.name, "warning", "update failed", _short(exc)
                        )
                    )
        return created

    def _reject_target(self, target: _New, exc: Exception) -> None:
        self._rekey(target, None)
        lines = {r.line for r in target.followers}
        self.result.issues = [
            i for i in self.result.issues if not (i.outcome == "duplicate" and i.line in lines)
        ]
        self.result.duplicates -= len(target.followers)
        for row in [target.row, *target.followers]:
            self.result.issues.append(
                Issue(row.line, row.where, row.name, "rejected", "database error", _short(exc))
            )
            self.result.rejected += 1

    # Updating

    def _plan(
        self, touched: dict[int, _Existing], first_rows: dict[int, tuple[CleanRow, str]]
    ) -> list[_Plan]:
        """What to fill on matched organisations; counts updated and unchanged rows."""
        if not touched:
            return []
        pks = list(touched)
        current = {
            o["pk"]: o
            for o in Organisation.objects.filter(pk__in=pks).values(
                "pk", "slug", "claimed", "source", "source_id", "latitude", *FILLABLE
            )
        }
        links = Organisation.stages.through.objects.filter(organisation_id__in=pks)
        with_stages = set(links.values_list("organisation_id", flat=True))
        links = Organisation.fields.through.objects.filter(organisation_id__in=pks)
        with_fields = set(links.values_list("organisation_id", flat=True))
        plans = []
        for pk, target in touched.items():
            org = current.get(pk)
            plan = self._changes(target, org, pk in with_stages, pk in with_fields) if org else None
            target.fills, target.stages, target.fields = {}, [], []
            if pk in first_rows:
                row, why = first_rows[pk]
                if plan:
                    self.result.updated += 1
                    filled = [
                        *plan.changes,
                        *(["stages"] if plan.stages else []),
                        *(["fields"] if plan.fields else []),
                    ]
                    outcome, detail = (
                        "updated",
                        "filled " + ", ".join(f for f in filled if f != "longitude"),
                    )
                else:
                    self.result.unchanged += 1
                    outcome = "unchanged"
                    detail = (
                        "claimed by its members, left alone"
                        if org and org["claimed"]
                        else "nothing to add"
                    )
                slug = org["slug"] if org else f"#{pk} (deleted meanwhile)"
                self.result.issues.append(
                    Issue(
                        row.line,
                        row.where,
                        row.name,
                        outcome,
                        why,
                        f"existing organisation {slug}: {detail}",
                    )
                )
                if plan:
                    plan.row = row
            if plan:
                plans.append(plan)
        return plans

    def _changes(
        self, target: _Existing, org: dict, has_stages: bool, has_fields: bool
    ) -> _Plan | None:
        if org["claimed"]:
            return None  # its members own what it says
        fills = target.fills
        changes: dict[str, Any] = {
            name: fills[name] for name in FILLABLE if not org[name] and fills.get(name)
        }
        if org["latitude"] is None and fills.get("latitude") is not None:
            changes["latitude"], changes["longitude"] = fills["latitude"], fills["longitude"]
        if not org["source_id"] and fills.get("source_id") and org["source"] == self.source:
            changes["source_id"] = fills["source_id"]
        # Links are added where there are none; to an organisation this run
        # created, the merged rows' links are added as well.
        stages = target.stages if (target.made_here or not has_stages) else []
        fields = target.fields if (target.made_here or not has_fields) else []
        if target.made_here:
            stages, fields = self._missing_links(target.pk, stages, fields)
        if not (changes or stages or fields):
            return None
        return _Plan(target.pk, changes, list(stages), list(fields))

    def _missing_links(
        self, pk: int, stages: list[str], fields: list[str]
    ) -> tuple[list[str], list[str]]:
        have_stages = (
            set(
                Organisation.stages.through.objects.filter(organisation_id=pk).values_list(
                    "stage__slug", flat=True
                )
            )
            if stages
            else set()
        )
        have_fields = (
            set(
                Organisation.fields.through.objects.filter(organisation_id=pk).values_list(
                    "field__slug", flat=True
                )
            )
            if fields
            else set()
        )
        return [s for s in stages if s not in have_stages], [
            f for f in fields if f not in have_fields
        ]

    def _apply(self, plans: list[_Plan]) -> None:
        """Writes the plans; caller holds a transaction."""
        for plan in plans:
            if plan.changes:
                # Each column is set only if still empty, and only while the
                # organisation is unclaimed when the UPDATE runs: an edit a
                # member made since the read above wins.
                update = {}
                for name, value in plan.changes.items():
                    empty = (
                        {f"{name}__isnull": True}
                        if name in ("latitude", "longitude")
                        else {name: ""}
                    )
                    column = Organisation._meta.get_field(name)
                    update[name] = Case(
                        When(**empty, then=Value(value)), default=F(name), output_field=column
                    )
                Organisation.objects.filter(pk=plan.pk, claimed=False).update(
                    **update, updated_at=timezone.now()
                )
            stage_link, field_link = Organisation.stages.through, Organisation.fields.through
            if plan.stages:
                stage_link.objects.bulk_create(
                    [
                        stage_link(organisation_id=plan.pk, stage_id=self.stages[s][0])
                        for s in plan.stages
                    ],
                    ignore_conflicts=True,
                )
            if plan.fields:
                field_link.objects.bulk_create(
                    [
                        field_link(organisation_id=plan.pk, field_id=self.fields[f][0])
                        for f in plan.fields
                    ],
                    ignore_conflicts=True,
                )
        if plans:
            search.index(Organisation.objects.filter(pk__in=[p.pk for p in plans]))


def insert_organisations(orgs: list[Organisation]) -> None:
    """Inserts new organisations and sets their primary keys.

    On PostgreSQL, COPY with ids drawn from the sequence beforehand: bulk_create
    cannot use its fast UNNEST form for this model (the tsvector column is not
    a standard type), and binding 25 parameters a row for thousands of rows
    made it most of the import's time. Values go through each field's
    pre_save() and get_db_prep_save(), as bulk_create sends them (auto_now
    included). Elsewhere, bulk_create.
    """
    if connection.vendor != "postgresql" or len(orgs) < 2:
        Organisation.objects.bulk_create(orgs, batch_size=BATCH_SIZE)
        return
    table = Organisation._meta.db_table
    pk_column = Organisation._meta.pk.column
    fields = [
        f
        for f in Organisation._meta.concrete_fields
        if not f.primary_key and f.name != "search_vector"
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk_column, len(orgs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(
            connection.ops.quote_name(c) for c in [pk_column, *(f.column for f in fields)]
        )
        with cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
        ) as copy:
            for pk, org in zip(ids, orgs, strict=True):
                org.pk = pk
                copy.write_row(
                    [pk, *(f.get_db_prep_save(f.pre_save(org, True), connection) for f in fields)]
                )
    for org in orgs:
        org._state.adding = False
        org._state.db = connection.alias


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


# --- Report ----------------------------------------------------------------------


def write_report(result: ImportResult, path: str | Path) -> None:
    """Every rejected, warned-about, merged and matched row, as CSV (line order)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "where", "name", "outcome", "reason", "detail"])
        for issue in result.issues:
            writer.writerow(
                [issue.line, issue.where, issue.name, issue.outcome, issue.reason, issue.detail]
            )
