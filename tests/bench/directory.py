"""Directory benchmark: import ~20,000 real organisations, then time the directory.

    make bench                      # or: .venv/bin/python -m tests.bench.directory
    .venv/bin/python -m tests.bench.directory --requests 50 --keep

Needs PostgreSQL. It creates its own database (`bench_directory` on the
server of DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test),
migrates it, imports the three open data sets with the import presets, and
drops it at the end (unless --keep). It never touches the database named in
DATABASE_URL itself. See tests/bench/README.md for what is measured and why.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test"
BENCH_DB = "bench_directory"
DATA_DIR = Path(os.environ.get("BIOMANUFACTURING_DATA_DIR", "/work/shared/data"))
ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"

# The import presets and their files (as in community/importing/presets.py,
# repeated here because the files are checked before Django is set up).
PRESETS = {
    "gisco-hospitals": "hospitals/gisco_healthcare_services_2020.csv",
    "hipo-universities": "universities/world_universities_and_domains.json",
    "ema-holders": "ema/medicines_output_medicines_en.csv",
}

# Goals, in milliseconds at the 95th percentile.
FACET_GOAL = 50
SEARCH_GOAL = 80

# (label, query string, kind): "facets" and "search" scenarios have their own goals.
SCENARIOS = [
    ("no filter", "", "facets"),
    (
        "country=DE & stage=research & kind=hospital",
        "country=DE&stage=research&kind=hospital",
        "facets",
    ),
    (
        "field=monoclonal-antibodies & country=DE",
        "field=monoclonal-antibodies&country=DE",
        "facets",
    ),
    ("field=vaccines & stage=production", "field=vaccines&stage=production", "facets"),
    (
        "6 countries & kind=research",
        "country=FR&country=DE&country=IT&country=ES&country=NL&country=BE&kind=research",
        "facets",
    ),
    ("country=FR, page 40", "country=FR&page=40", "facets"),
    ("q=klinikum", "q=klinikum", "search"),
    ("q=university medicine", "q=university+medicine", "search"),
    ("q=centre hospitalier", "q=centre+hospitalier", "search"),
    ("q=vaccines", "q=vaccines", "search"),
    ("q=sanofi", "q=sanofi", "search"),
    ("q=klinikum & country=DE & kind=hospital", "q=klinikum&country=DE&kind=hospital", "search"),
]
ENDPOINTS = (("page", "/directory/"), ("api", "/api/v1/organisations/"))


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def admin_connection(server_url: str):
    import psycopg

    parts = urlsplit(server_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
    )


def recreate_database(server_url: str, name: str, *, drop_only: bool = False) -> None:
    from psycopg import sql

    with admin_connection(server_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requests", type=int, default=200, help="timed requests per scenario (default 200)"
    )
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--database", default=BENCH_DB, help=f"the benchmark's own database (default {BENCH_DB})"
    )
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder of the open data sets")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database afterwards (to run EXPLAIN by hand)"
    )
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not server_url.startswith(("postgres://", "postgresql://")):
        print(
            "The directory benchmark needs PostgreSQL: set DATABASE_URL=postgres://...",
            file=sys.stderr,
        )
        return 2
    if args.database == urlsplit(server_url).path.lstrip("/"):
        print(
            f"Refusing to use {args.database!r}: it is DATABASE_URL's own database.",
            file=sys.stderr,
        )
        return 2
    missing = [p for p in PRESETS if not (args.data / _preset_file(p)).is_file()]
    if missing:
        print(
            f"Data files missing under {args.data}: {', '.join(_preset_file(p) for p in missing)}",
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
    # Throttling would answer 429 long before 200 requests per scenario.
    os.environ["DJANGO_API_ANON_RATE"] = "1000000/min"
    os.environ["DJANGO_API_USER_RATE"] = "1000000/min"
    try:
        import django

        django.setup()
        from django.conf import settings

        # As in production: no query log kept per request, no template debug
        # info. Set before the first template engine is built.
        settings.DEBUG = False
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(server_url, args.database, drop_only=True)
            print(f"Dropped database {args.database!r}.", file=sys.stderr)
        else:
            print(f"Kept database {args.database!r}: psql -d {args.database}", file=sys.stderr)


def _preset_file(name: str) -> str:
    return PRESETS[name]


def run(args) -> int:
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - started
    print(f"Migrated in {migrate_s:.1f} s.", file=sys.stderr)

    imports = do_imports(args)
    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk import: statistics, and the
        # visibility map that lets counts read indexes only. Measuring before
        # it would time a state the site is in for a minute.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*) FROM community_organisation")
        organisations = cursor.fetchone()[0]

    load_before = os.getloadavg()
    results = []
    for label, endpoint in ENDPOINTS:
        probe = measure_probe(endpoint)
        if probe != 200:
            print(f"{endpoint} answers {probe}: not measured.", file=sys.stderr)
            results.append({"endpoint": label, "path": endpoint, "status": probe, "skipped": True})
            continue
        for name, query, kind in SCENARIOS:
            results.append(measure(label, endpoint, name, query, kind, args))

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "organisations": organisations,
        "migrate_seconds": round(migrate_s, 1),
        "imports": imports,
        "import_seconds": round(sum(i["seconds"] for i in imports), 1),
        "goals_ms": {"facets_p95": FACET_GOAL, "search_p95": SEARCH_GOAL, "import_s": 30},
        "requests_per_scenario": args.requests,
        "results": results,
        "postgres": connection.cursor().connection.info.server_version,
        "cpus": os.cpu_count(),
        "load_average": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    print_table(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"directory-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"\nWritten to {out.relative_to(ROOT)}")
    return 0


def do_imports(args) -> list[dict]:
    from community.importing import import_organisations

    imports = []
    for preset in PRESETS:
        path = args.data / _preset_file(preset)
        print(f"Importing {path.name} ({preset})...", file=sys.stderr)
        result = import_organisations(
            path=path, preset=preset, progress=None if args.no_progress else sys.stderr
        )
        imports.append(
            {
                "preset": preset,
                "rows": result.rows,
                "created": result.created,
                "duplicates": result.duplicates,
                "matched": result.updated + result.unchanged,
                "rejected": result.rejected,
                "seconds": round(result.seconds, 2),
            }
        )
    return imports


def measure_probe(path: str) -> int:
    from django.test import Client

    return Client().get(path).status_code


def measure(endpoint_label: str, path: str, name: str, query: str, kind: str, args) -> dict:
    from django.test import Client

    client = Client()
    url = f"{path}?{query}" if query else path
    for _ in range(args.warmup):
        response = client.get(url)
    status = response.status_code
    samples = []
    for _ in range(args.requests):
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
    goal = SEARCH_GOAL if kind == "search" else FACET_GOAL
    p95 = percentile(samples, 0.95)
    db = database_time(client, url)
    row = {
        "endpoint": endpoint_label,
        "scenario": name,
        "url": url,
        "kind": kind,
        "status": status,
        "p50_ms": round(percentile(samples, 0.5), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(max(samples), 1),
        "mean_ms": round(statistics.fmean(samples), 1),
        "goal_p95_ms": goal,
        "meets_goal": p95 <= goal,
        **db,
    }
    print(
        f"  {endpoint_label:4} {name:45} p50 {row['p50_ms']:6.1f}  p95 {row['p95_ms']:6.1f} ms  (db {db['db_ms']:.1f} ms in {db['queries']} queries)",
        file=sys.stderr,
    )
    return row


def database_time(client, url: str) -> dict:
    """Where a request's time goes: PostgreSQL's own time for its queries
    (EXPLAIN ANALYZE, median of 3 runs each), and the queries' wall time as
    Django sees it (median of 3 requests); the rest of a request is Python."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        walls.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    timings = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            runs = []
            for _ in range(3):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
                plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                runs.append(plan["Execution Time"] + plan.get("Planning Time", 0))
            timings.append((statistics.median(runs), sql))
    timings.sort(reverse=True)
    slowest = timings[0] if timings else (0.0, "")
    return {
        "queries": len(captured.captured_queries),
        "db_ms": round(sum(t for t, _ in timings), 2),
        "db_wall_ms": round(statistics.median(walls), 1),
        "slowest_query_ms": round(slowest[0], 2),
        "slowest_query": " ".join(slowest[1].split())[:600],
    }


def print_table(report: dict) -> None:
    print()
    print(
        f"Import: {report['import_seconds']} s for {sum(i['rows'] for i in report['imports']):,} input rows "
        f"-> {report['organisations']:,} organisations (goal under {report['goals_ms']['import_s']} s)"
    )
    for i in report["imports"]:
        print(
            f"  {i['preset']:18} {i['rows']:>7,} rows  {i['created']:>7,} created  {i['duplicates']:>6,} merged  "
            f"{i['matched']:>5,} matched existing  {i['rejected']:>6,} rejected  {i['seconds']:>6.1f} s"
        )
    print()
    header = (
        f"{'endpoint':8} {'scenario':45} {'status':>6} {'p50':>7} {'p95':>7} {'goal':>5} {'ok':>3} "
        f"{'db ms':>7} {'db wall':>7} {'queries':>7} {'slowest':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in report["results"]:
        if r.get("skipped"):
            print(f"{r['endpoint']:8} {r['path'] + ' not measured':45} {r['status']:>6}")
            continue
        print(
            f"{r['endpoint']:8} {r['scenario']:45} {r['status']:>6} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} "
            f"{r['goal_p95_ms']:>5} {'yes' if r['meets_goal'] else 'NO':>3} {r['db_ms']:>7.1f} "
            f"{r['db_wall_ms']:>7.1f} {r['queries']:>7} "
            f"{r['slowest_query_ms']:>7.1f}"
        )
    print(
        "\nTimes in ms: p50/p95 of the whole request through Django's test Client; db ms: PostgreSQL's"
    )
    print(
        "execution + planning time (EXPLAIN ANALYZE) summed over the request's queries; db wall: the same"
    )
    print(
        "queries as Django waits for them; slowest: the costliest query. The rest of a request is Python."
    )
    load = report["load_average"]
    print(
        f"{report['cpus']} CPUs; load average before {load['before']}, after {load['after']} "
        "(other work on the machine inflates the p95)."
    )


if __name__ == "__main__":
    sys.exit(main())
