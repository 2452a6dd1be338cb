"""The EMA medicines report as a list of marketing-authorisation holders.

The report has one row per medicine and no country column. This module turns
it into one record per holder (kind company, stage production) with:

- a cleaned name: spaces of every kind collapsed, the "&" that the export lost
  put back ("GmbH  Co. KG" -> "GmbH & Co. KG"), spellings of one holder
  ("Teva B.V", "Teva B.V.", "Teva B.V.\\xa0") merged under the commonest one;
- a country inferred from the name (`infer_country`), or none, and the row is
  then rejected with that reason;
- fields tagged from the medicines the holder holds (`medicine_fields`);
- a description naming a few of those medicines, which makes the holder
  findable by its products ("Humira" finds AbbVie).

Only human medicines count: veterinary holders are outside the sector.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from community.importing.readers import Record, get_path
from community.text import normalise_name

HOLDER = "Marketing authorisation developer / applicant / holder"
CATEGORY = "Category"
MEDICINE = "Name of medicine"
INN = "International non-proprietary name (INN) / common name"
SUBSTANCE = "Active substance"
ATC = "ATC code (human)"
GROUP = "Pharmacotherapeutic group (human)"
ADVANCED = "Advanced therapy"
BIOSIMILAR = "Biosimilar"
STATUS = "Medicine status"
END_DATES = (
    "Withdrawal / expiry / revocation / lapse of marketing authorisation date",
    "Withdrawal of application date",
    "Refusal of marketing authorisation date",
)
# A medicine in one of these states keeps its holder in the EEA today.
CURRENT = frozenset({"Authorised", "Opinion", "Opinion under re-examination", "Suspended"})
BREXIT = date(2021, 1, 1)

# --- Country inference -------------------------------------------------------
#
# In order, the first that answers wins:
#  1. a country named in the holder's name, in English or its own language
#     ("Eli Lilly Nederland B.V.", "Takeda ... AG Ireland Branch");
#  2. a short table of well-known holders whose names carry no clue (below);
#  3. the legal form: GmbH/AG/KG -> DE, B.V. -> NL, N.V. -> BE (among EMA
#     holders N.V. is mostly Belgian: Janssen-Cilag, Ablynx, TiGenix...),
#     S.A.S./SARL/SNC -> FR, S.p.A./S.r.l. -> IT, S.L./S.L.U. -> ES,
#     Lda/Unipessoal -> PT, A/S/ApS -> DK, AS -> NO, AB -> SE, Oy/Oyj -> FI,
#     ehf/hf -> IS, sp. z o.o./S.A. with Polish words -> PL, s.r.o./a.s./k.s.
#     -> CZ, Kft./Zrt. -> HU, d.d./d.o.o. -> SI, EESV -> NL;
#     British and Irish forms (Limited, Ltd, plc, DAC, UC, Unlimited Company):
#     IE when the holder holds a medicine today or gave one up after 2020 (a
#     holder must be established in the EEA since Brexit), else GB (a UK
#     holder of the years before);
#  4. words of one language: Laboratoires/Médicament -> FR, Laboratorios -> ES,
#     Farmaceutici/Istituto -> IT, Arzneimittel/Gesellschaft -> DE.
# "S.A." alone and "EEIG" are used in many countries and decide nothing.

_NAMED_COUNTRIES = [
    (r"ireland|irl|ire|irish", "IE"),
    (r"deutschland|germany", "DE"),
    (r"france|francais|français", "FR"),
    (r"italia|italy", "IT"),
    (r"españa|espana|spain", "ES"),
    (r"nederland|netherlands|holland", "NL"),
    (r"belgium|belgique|belgie|belgië", "BE"),
    (r"danmark|denmark", "DK"),
    (r"sverige|sweden", "SE"),
    (r"suomi|finland", "FI"),
    (r"norge|norway", "NO"),
    (r"österreich|osterreich|austria", "AT"),
    (r"portugal", "PT"),
    (r"luxembourg", "LU"),
    (r"hungary|magyarország", "HU"),
    (r"polska|poland", "PL"),
    (r"ceska republika|česká republika|czech republic|cz", "CZ"),
    (r"slovakia|slovensko", "SK"),
    (r"slovenia|slovenija", "SI"),
    (r"croatia|hrvatska", "HR"),
    (r"cyprus", "CY"),
    (r"malta", "MT"),
    (r"greece|hellas", "GR"),
    (r"romania", "RO"),
    (r"bulgaria", "BG"),
    (r"u\.k\.|uk|united kingdom|great britain", "GB"),
    (r"switzerland|schweiz|suisse", "CH"),
]
_NAMED = [
    (re.compile(rf"(?i)(?<![\w.])(?:{words})(?![\w])"), code) for words, code in _NAMED_COUNTRIES
]

# Holders whose names say nothing of their seat; matched on the start of the
# normalised name. Seats as given in the EMA's product information.
KNOWN_HOLDERS = {
    "pfizer europe ma eeig": "BE",
    "bristol myers squibb pharma eeig": "IE",
    "bristol myers squibb pfizer eeig": "IE",
    "sanofi winthrop industrie": "FR",
    "sanofi pasteur": "FR",
    "sanofi aventis": "FR",
    "sanofi pharma bristol myers squibb": "FR",
    "aventis pharma": "FR",
    "ipsen pharma": "FR",
    "pierre fabre": "FR",
    "guerbet": "FR",
    "biocodex": "FR",
    "stallergenes": "FR",
    "biogaran": "FR",
    "lucane pharma": "FR",
    "orphelia pharma": "FR",
    "theravia": "FR",
    "substipharm": "FR",
    "dbv technologies": "FR",
    "gennisium pharma": "FR",
    "cis bio international": "FR",
    "recordati rare diseases": "FR",
    "advanced accelerator applications": "FR",
    "galderma international": "FR",
    "medday pharmaceuticals": "FR",
    "only for children pharmaceuticals": "FR",
    "ammtek": "FR",
    "qualimed": "FR",
    "gen orph": "FR",
    "bioprojet pharma": "FR",
    "tour hekla": "FR",
    "ucb pharma": "BE",
    "glaxosmithkline biologicals": "BE",
    "argenx": "BE",
    "telix innovations": "BE",
    "sp europe": "BE",
    "schering plough europe": "BE",
    "astrazeneca": "SE",
    "astra zeneca": "SE",
    "boehringer ingelheim": "DE",
    "medac": "DE",
    "orion corporation": "FI",
    "krka": "SI",
    "gedeon richter": "HU",
    "chemical works of gedeon richter": "HU",
    "novartis europharm": "IE",
    "n v organon": "NL",
    "pharming group": "NL",
    "wyeth lederle vaccines": "BE",
    "glaxosmithkline trading services": "IE",
    "almirall": "ES",
    "pharma mar": "ES",
    "esteve": "ES",
    "instituto grifols": "ES",
    "ferrer internacional": "ES",
    "bial": "PT",
    "pharmathen": "GR",
    "erytech pharma": "FR",
    "gensight biologics": "FR",
    "nicox": "FR",
    "advicenne": "FR",
}

_FORMS = [
    (r"gmbh|ag|kg|kgaa|mbh|ggmbh|ohg", "DE"),
    (r"b\.? ?v\.?|bv|eesv", "NL"),
    (r"n\.? ?v\.?|nv|bvba|sprl", "BE"),
    (r"s\.?a\.?s\.?|sas|sarl|s\.a\.r\.l\.?|snc|s\.n\.c\.?", "FR"),
    (r"s\.?p\.?a\.?|spa|s\.?r\.?l\.?|srl", "IT"),
    (r"s\.?l\.?u?\.?|slu", "ES"),
    (r"lda\.?|unipessoal", "PT"),
    (r"a/s|aps", "DK"),
    (r"as", "NO"),
    (r"ab|\(publ\)", "SE"),
    (r"oy|oyj", "FI"),
    (r"ehf\.?|hf\.?", "IS"),
    (
        r"sp\. ?z ?o\.? ?o\.?|spolka|spółka|przedsiębiorstwo|przedsiebiorstwo|akcyjna|zaklady|zakłady",
        "PL",
    ),
    (r"s\.?r\.?o\.?|a\.s\.|k\.s\.", "CZ"),
    (r"kft\.?|zrt\.?|nyrt\.?", "HU"),
    (r"d\.?d\.?|d\.?o\.?o\.?", "SI"),
]
_FORM_RES = [(re.compile(rf"(?i)(?<![\w])(?:{forms})(?![\w/])"), code) for forms, code in _FORMS]
_BRITISH_IRISH = re.compile(
    r"(?i)(?<![\w])(limited|ltd\.?|plc\.?|llp|dac|uc|unlimited company|designated activity company)(?![\w])"
)
_LANGUAGE = [
    (re.compile(r"(?i)\b(laboratoires?|médicament|medicament|groupe|santé)\b"), "FR"),
    (re.compile(r"(?i)\b(laboratorios|farmacéuticos)\b"), "ES"),
    (re.compile(r"(?i)\b(farmaceutici|farmaceutica|istituto|società|fondazione|agenzia)\b"), "IT"),
    (
        re.compile(
            r"(?i)\b(arzneimittel|gesellschaft|pharmazeutische|spezialpräparate|spezialpraeparate)\b"
        ),
        "DE",
    ),
]


def infer_country(name: str, *, current: bool) -> str:
    """The ISO code of a holder's country, or "" when its name does not tell.

    `current`: the holder holds a medicine today, or gave one up after 2020.
    """
    for pattern, code in _NAMED:
        if pattern.search(name):
            return code
    key = normalise_name(name)
    for prefix, code in KNOWN_HOLDERS.items():
        if key == prefix or key.startswith(prefix + " "):
            return code
    # The legal form is at the end; search from the right so "AG Ireland Branch"
    # style names were already handled above and "X AB (publ)" finds AB.
    for pattern, code in _FORM_RES:
        if pattern.search(name):
            return code
    if _BRITISH_IRISH.search(name):
        return "IE" if current else "GB"
    for pattern, code in _LANGUAGE:
        if pattern.search(name):
            return code
    return ""


# --- Modality tagging --------------------------------------------------------

# Matched against the INN and active substance; vaccines also by name and group.
_VACCINE = re.compile(r"\bvaccin")
_RULES: list[tuple[re.Pattern, tuple[str, ...]]] = [
    (re.compile(r"\b\w+mab\b"), ("monoclonal-antibodies",)),
    (
        re.compile(
            r"\b\w*(vedotin|deruxtecan|govitecan|ozogamicin|mafodotin|emtansine|tesirine|soravtansine)\b"
        ),
        ("antibody-drug-conjugates",),
    ),
    (re.compile(r"\bmrna\b|\w+meran\b"), ("mrna", "vaccines")),
    (re.compile(r"\bad26\b|chadox|\bmva\b|vaccinia|adenovir"), ("viral-vectors",)),
    (
        re.compile(
            r"\binsulin|\w*poetin\b|\w*grastim\b|interferon|\w*tropin\b|\w+cept\b|\w+cog\b|\w+ermin\b|"
            r"\w*leukin\b|\binterleukin|\b\w+ (alfa|beta|gamma|delta)\b|\brecombinant\b|\(rdna\)"
        ),
        ("recombinant-proteins",),
    ),
    (
        re.compile(
            r"\b(?!kinase|proteinase|phosphatase|esterase|release|disease|increase)\w{4,}ase\b"
        ),
        ("enzymes",),
    ),
    (re.compile(r"\w+(siran|rsen)\b|oligonucleotide"), ("oligonucleotides",)),
    (re.compile(r"liposom|lipid nanoparticle"), ("nanomedicine",)),
]
_PLASMA = re.compile(
    r"\bhuman\b.*\b(immunoglobulin|albumin|fibrinogen|thrombin|coagulation factor|plasma|antithrombin|"
    r"esterase inhibitor|alpha.?1|protein c|von willebrand)|\bplasma\b"
)
_CELL = re.compile(r"\bcells?\b|\w+cel\b|leucel\b|chondrocyte|spheroid|\bt cells\b")
# CAR-T and gene-modified stem cells are gene therapies too (INN infix -gene-/-gen-).
_GENE = re.compile(
    r"\w+gene\b|\w+vec\b|transduc|genetically modified|\bencoding\b|\bgene\b|cabtagene|genlecleucel|autotemcel"
)
_VECTOR = re.compile(r"\w+vec\b|transduc|retrovir|lentivir|cabtagene|genlecleucel|\w+tagene\b")
_TISSUE = re.compile(r"chondrocyte|spheroid|corneal|epitheli|matrix|cartilage")


def medicine_fields(medicine: dict) -> set[str]:
    """Field slugs for one medicine of the report (a row of the CSV)."""
    text = " ".join(
        str(medicine.get(k) or "") for k in (INN, SUBSTANCE, MEDICINE, GROUP)
    ).casefold()
    inn = " ".join(str(medicine.get(k) or "") for k in (INN, SUBSTANCE)).casefold()
    tags: set[str] = set()
    if (medicine.get(ATC) or "").upper().startswith("J07") or _VACCINE.search(text):
        tags.add("vaccines")
    if (medicine.get(BIOSIMILAR) or "").strip().lower() == "yes":
        tags.add("biosimilars")
    if (medicine.get(ADVANCED) or "").strip().lower() == "yes":
        if _CELL.search(inn):
            tags.add("cell-therapy")
        if _GENE.search(inn):
            tags.add("gene-therapy")
        if _VECTOR.search(inn):
            tags.add("viral-vectors")
        if _TISSUE.search(inn):
            tags.add("tissue-engineering")
        if not tags & {"cell-therapy", "gene-therapy", "tissue-engineering"}:
            tags.add("cell-therapy")  # every advanced therapy is one of the three
    for pattern, slugs in _RULES:
        if pattern.search(inn):
            tags.update(slugs)
    if _PLASMA.search(inn) and "recombinant" not in inn:
        tags.add("plasma-derived")
    return tags


# --- Holders -----------------------------------------------------------------

_LOST_AMPERSAND = re.compile(r"(?<=\S)  (?=\S)")
_SPACES = re.compile(r"[\s\u00a0]+")
_LEGAL_TOKENS = {"limited": "ltd", "unlimited company": "uc", "designated activity company": "dac"}


def clean_holder_name(raw: str) -> str:
    """Exactly two ASCII spaces between words is where the export dropped an "&"."""
    name = _LOST_AMPERSAND.sub(" & ", raw or "")
    return _SPACES.sub(" ", name).strip(" ,")


def holder_key(name: str) -> str:
    """A key that ignores how the legal form and "and"/"&" are spelt."""
    key = " " + normalise_name(name) + " "
    for long, short in _LEGAL_TOKENS.items():
        key = key.replace(f" {long} ", f" {short} ")
    # "b v" -> "bv", "s p a" -> "spa": single letters are a dotted abbreviation.
    key = re.sub(r"(?<= )((?:[a-z] )+)", lambda m: m.group(1).replace(" ", "") + " ", key)
    words = [w for w in key.split() if w != "and"]
    return " ".join(words)


def _date(text: str) -> date | None:
    try:
        day, month, year = (int(p) for p in (text or "").strip().split("/"))
        return date(year, month, day)
    except ValueError:
        return None


@dataclass
class Holder:
    key: str
    line: int
    spellings: Counter = field(default_factory=Counter)
    medicines: list[str] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)
    current: bool = False
    authorised: int = 0

    @property
    def name(self) -> str:
        # The commonest spelling; on a tie the one with "&", then the longest.
        return max(self.spellings, key=lambda s: (self.spellings[s], "&" in s, len(s)))


def holders(records: list[Record]) -> list[Record]:
    """One record per holder of human medicines, with target-named keys."""
    by_key: dict[str, Holder] = {}
    for record in records:
        row = record.data
        if (get_path(row, CATEGORY) or "").strip() != "Human":
            continue
        name = clean_holder_name(get_path(row, HOLDER) or "")
        key = holder_key(name) if name else f"__line_{record.line}"
        holder = by_key.get(key)
        if holder is None:
            holder = by_key[key] = Holder(key=key, line=record.line)
        if name:
            holder.spellings[name] += 1
        status = (get_path(row, STATUS) or "").strip()
        ended = [d for d in (_date(get_path(row, k) or "") for k in END_DATES) if d]
        if status in CURRENT or any(d >= BREXIT for d in ended):
            holder.current = True
        if status == "Authorised":
            holder.authorised += 1
        medicine = (get_path(row, MEDICINE) or "").strip()
        if medicine and medicine not in holder.medicines:
            holder.medicines.append(medicine)
        holder.fields |= medicine_fields(row)

    out: list[Record] = []
    for holder in by_key.values():
        name = holder.name if holder.spellings else ""
        country = infer_country(name, current=holder.current) if name else ""
        out.append(
            Record(
                holder.line,
                {
                    "name": name,
                    "country": country,
                    "fields": sorted(holder.fields),
                    "description": _description(holder),
                    "source_id": holder.key[:120],
                    "medicines": len(holder.medicines),
                    "authorised": holder.authorised,
                },
            )
        )
    return out


def _description(holder: Holder) -> str:
    n = len(holder.medicines)
    names = ", ".join(_short(m) for m in holder.medicines[:8])
    more = f" and {n - 8} more" if n > 8 else ""
    noun = "medicine" if n == 1 else "medicines"
    return (
        f"Marketing authorisation holder or applicant at the European Medicines Agency "
        f"for {n} human {noun}: {names}{more}."
    )


def _short(medicine: str) -> str:
    # "Spikevax (previously COVID-19 Vaccine Moderna)" -> "Spikevax"
    return re.sub(r"\s*\(previously [^)]*\)", "", medicine).strip()
