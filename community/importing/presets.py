"""Ready-made mappings for the open data sets the directory was seeded from.

Each preset names the file it was written for (relative to the shared data
folder), the column mapping, constant values, and where needed a reader that
reshapes the file (EMA: medicines -> holders) and a hook that adds what a row
implies (a university hospital does research). `--map` and `--set` given on
the command line override a preset's own.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from community.importing import ema
from community.importing.cleaning import CleanRow
from community.importing.readers import Record

# Words that make a hospital a university (teaching, research) hospital, in the
# languages of the GISCO file: "Universitätsklinikum", "CHU", "Policlinico
# Universitario", "Fakultní nemocnice", "Uniwersytecki", "Yliopistollinen"...
UNIVERSITY_HOSPITAL = re.compile(
    r"(?i)universi|uniwersyt|yliopisto|egyetem|fakultn|sveučiliš|sveucilis|uniklinik|"
    r"academisch|akademisch|academic|teaching hospital|charit[ée]|karolinska|"
    r"\bc\.?\s?h\.?\s?u\b|centre hospitalier (r[ée]gional )?(et )?universitaire"
)


@dataclass(frozen=True)
class Preset:
    name: str
    file: str  # the file it was written for, under the shared data folder
    description: str
    mapping: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    reader: Callable[[list[Record]], list[Record]] | None = None
    hook: Callable[[CleanRow], None] | None = None
    missing_country_reason: str = ""


def _gisco_hook(row: CleanRow) -> None:
    if UNIVERSITY_HOSPITAL.search(row.name) and "research" not in row.stages:
        row.stages.insert(0, "research")


PRESETS = {
    preset.name: preset
    for preset in (
        Preset(
            name="gisco-hospitals",
            file="hospitals/gisco_healthcare_services_2020.csv",
            description=(
                "Eurostat/GISCO healthcare services 2020: one organisation per hospital "
                "(sites of one hospital merge by name and country); hospitals are "
                "post-commercialisation actors, university hospitals also research."
            ),
            mapping={
                "name": "hospital_name",
                "country": "cc",
                "city": "city",
                "latitude": "lat",
                "longitude": "lon",
                "website": "url",
                "source_id": "id",
            },
            constants={"kind": "hospital", "stages": "post-commercialisation"},
            hook=_gisco_hook,
        ),
        Preset(
            name="hipo-universities",
            file="universities/world_universities_and_domains.json",
            description=(
                "Hipo university-domains-list: universities of the platform's European "
                "countries (others are rejected), as research and training actors."
            ),
            mapping={
                "name": "name",
                "country": "alpha_two_code",
                "website": "web_pages.0",
                "source_id": "domains.0",
            },
            constants={"kind": "research", "stages": "training,research"},
        ),
        Preset(
            name="ema-holders",
            file="ema/medicines_output_medicines_en.csv",
            description=(
                "EMA medicines report: one company per marketing-authorisation holder of "
                "human medicines, country inferred from its name, fields from its medicines."
            ),
            # The reader yields records keyed by target names already.
            constants={"kind": "company", "stages": "production"},
            reader=ema.holders,
            missing_country_reason="country could not be inferred from the holder's name",
        ),
    )
}
