"""The end-of-run summary people read: counts, then reasons grouped."""

from community.importing.engine import ImportResult

EXAMPLES = 5


def _examples(issues) -> str:
    shown = ", ".join(str(i.line) for i in issues[:EXAMPLES])
    more = f", ... ({len(issues) - EXAMPLES} more)" if len(issues) > EXAMPLES else ""
    return f"{issues[0].where.split()[0]}s {shown}{more}"


def summary(result: ImportResult, *, report_path: str | None = None) -> str:
    verb = "would be " if result.dry_run else ""
    head = "Dry run, nothing written: checked" if result.dry_run else "Imported"
    lines = [
        f"{head} {result.rows:,} rows from source {result.source!r} in {result.seconds:.1f} s:",
        f"  created     {result.created:>7,}  organisations {verb}created",
        f"  updated     {result.updated:>7,}  existing organisations {verb}completed (empty fields filled)",
        f"  unchanged   {result.unchanged:>7,}  rows matching an existing organisation with nothing to add",
        f"  duplicates  {result.duplicates:>7,}  rows merged into another row of the file",
        f"  rejected    {result.rejected:>7,}  rows",
    ]
    for outcome, title in (
        ("rejected", "Rejected rows, by reason"),
        ("warning", "Warnings (row kept, value dropped)"),
    ):
        groups: dict[str, list] = {}
        for issue in result.issues:
            if issue.outcome == outcome:
                groups.setdefault(issue.reason, []).append(issue)
        if not groups:
            continue
        lines.append(f"{title}:")
        for reason, issues in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            lines.append(f"  {len(issues):>6,}  {reason}  ({_examples(issues)})")
    if report_path:
        lines.append(
            f"Every rejected, warned-about, merged and matched row is listed in {report_path}."
        )
    elif any(i.outcome in ("rejected", "warning", "duplicate") for i in result.issues):
        lines.append("The full list, with line numbers and values: --report FILE.csv.")
    return "\n".join(lines)
