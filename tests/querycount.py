"""Counting queries: list pages must cost the same for 2 rows as for 40."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_for(fetch) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = fetch()
    return len(captured), result
