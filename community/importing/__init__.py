"""Importing organisations from open data files into the directory.

`import_organisations()` is the entry point (the management command
`import_organisations` is a thin shell around it); `PRESETS` are the mappings
for the data sets the directory was seeded from; `summary()` renders a result
for people.
"""

from community.importing.engine import (
    ImportFailed,
    ImportResult,
    import_organisations,
    write_report,
)
from community.importing.presets import PRESETS
from community.importing.summary import summary

__all__ = [
    "PRESETS",
    "ImportFailed",
    "ImportResult",
    "import_organisations",
    "summary",
    "write_report",
]
