"""Turning one mapped input row into the values of an Organisation, or a reason not to.

The rule of thumb: a row without what identifies an organisation (a name, a
European country) or with a wrong taxonomy value (kind, stage, field) is
rejected, because guessing would put a wrong actor on the map; a bad optional
value (a broken URL, coordinates out of range, an unknown size) is dropped with
a warning and the row goes in.
"""

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django_countries import countries

from community.countries import EUROPE, normalise_country
from community.importing.translit import latinise
from community.models import Organisation
from community.text import fold, normalise_name, website_domain

TARGETS = (
    "name",
    "kind",
    "country",
    "city",
    "latitude",
    "longitude",
    "website",
    "description",
    "offers",
    "size_band",
    "stages",
    "fields",
    "source_id",
)
LIST_TARGETS = frozenset({"stages", "fields"})


def _max_length(name: str) -> int:
    return Organisation._meta.get_field(name).max_length


NAME_MAX = _max_length("name")
CITY_MAX = _max_length("city")
WEBSITE_MAX = _max_length("website")
SOURCE_ID_MAX = _max_length("source_id")
DESCRIPTION_MAX = _max_length("description")
OFFERS_MAX = _max_length("offers")

_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_LIST_SPLIT = re.compile(r"[,;|\n]")
_C1 = re.compile("[\u0080-\u009f]")
# Scheme spellings seen in real files: "http//:", "http : //", "htttp.//", "https:/".
_SCHEME = re.compile(r"(?i)^h?t{1,3}p(s?)\s*[:.]?\s*/{1,3}\s*:?\s*")
_HOST = re.compile(
    r"^(?=.{4,253}$)([a-z0-9\u00a1-\uffff]([a-z0-9\u00a1-\uffff-]*[a-z0-9\u00a1-\uffff])?\.)+[a-z\u00a1-\uffff]{2,63}$"
)
_url_validator = URLValidator(schemes=["http", "https"])
# Lower-case particles in place names: "St Pol sur Ternoise", "Frankfurt am Main".
_SMALL_WORDS = frozenset({
    "a", "am", "an", "and", "au", "aux", "d", "da", "das", "de", "dei", "del", "della", "der", "des",
    "di", "do", "dos", "du", "e", "el", "en", "et", "im", "in", "l", "la", "le", "les", "lo", "los",
    "of", "on", "op", "sur", "the", "und", "van", "von", "y", "zu", "zum", "zur",
})  # fmt: skip


class Rejected(Exception):  # a row's outcome, not an error of the program
    """The row cannot become an organisation; `reason` groups, `detail` names the value."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class CleanRow:
    line: int
    where: str
    values: dict[str, Any]  # model field -> value, only for values the row has
    stages: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    name_key: str = ""
    domain: str = ""

    @property
    def name(self) -> str:
        return self.values["name"]


def squash(value: Any) -> str:
    """A one-line text: spaces of every kind collapsed, ends stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # NUL bytes come from broken exports; PostgreSQL refuses them in text.
    return _SPACES.sub(" ", str(value).replace("\x00", "")).strip()


def fix_mojibake(text: str) -> str:
    """Repairs the two simple mix-ups: UTF-8 read as cp1252/latin-1, and stray C1 codes.

    "CittÃ " becomes "Città"; "D\\x92IMAGERIE" (cp1252 bytes read as latin-1)
    becomes "D’IMAGERIE". Anything that does not decode cleanly is kept as is:
    a strict UTF-8 decode almost never succeeds on text that was right.
    """
    if text.isascii():
        return text
    raw = bytearray()
    for char in text:
        try:
            raw += char.encode("cp1252")
        except UnicodeEncodeError:
            try:
                raw += char.encode("latin-1")
            except UnicodeEncodeError:
                raw = None
                break
    if raw is not None:
        try:
            repaired = raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if repaired != text and not _C1.search(repaired):
                return repaired
    if _C1.search(text):
        return _C1.sub(_c1_char, text)
    return text


def _c1_char(match: re.Match) -> str:
    byte = match.group().encode("latin-1")
    # cp1252 first (’ – “ ”...); the five bytes it leaves undefined are Central
    # European letters in cp1250 (ť Ť Ź), the other Windows code page in the data.
    for encoding in ("cp1252", "cp1250"):
        try:
            return byte.decode(encoding)
        except UnicodeDecodeError:
            continue
    return ""


def name_key(name: str) -> str:
    """The "same name" key: normalise_name, spelt in Latin for Greek and Cyrillic names."""
    return normalise_name(latinise(name)) or fold(name).strip()


def tidy_city(city: str) -> str:
    """ "ST POL SUR TERNOISE" -> "St Pol sur Ternoise"; mixed-case names are left alone."""
    if not city.isupper() or len(city) <= 3:
        return city
    words = re.split(r"(\s+|-|/|')", city.lower())
    out = []
    for i, word in enumerate(words):
        out.append(word if (i and word in _SMALL_WORDS) else word[:1].upper() + word[1:])
    return "".join(out)


def normalise_url(value: str) -> str | None:
    """An http(s) URL with a dotted host, or None when the value is not one.

    Of several addresses in one cell ("www.a.be; www.b.be") the first is kept.
    """
    value = (value or "").strip()
    if re.search(r"[;|]|\s(?=(?:https?:|www\.))", value):
        value = re.split(r"[;|]|\s(?=(?:https?:|www\.))", value)[0]
    url = re.sub(r"(?i)\bwww,", "www.", value)  # "http://www,ldn-rybitvi.cz"
    secure = False
    stripped = True
    while stripped:
        match = _SCHEME.match(url)
        stripped = bool(match and match.end() < len(url))
        if stripped:
            secure = secure or bool(match.group(1))
            url = url[match.end() :]
    url = url.lstrip("/: ")
    if "://" in url or not url:
        return None  # another scheme (ftp://, mailto...)
    # Spaces inside a host are typing slips; inside a path they are spaces.
    host_end = re.search(r"[/?#]", url)
    host, rest = (url[: host_end.start()], url[host_end.start() :]) if host_end else (url, "")
    url = (
        ("https://" if secure else "http://")
        + re.sub(r"\s+", "", host).lower()
        + re.sub(r"\s+", "%20", rest.strip())
    )
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    if "@" in parts.netloc or not _HOST.match(host):
        return None
    if len(url) > WEBSITE_MAX:
        return None
    try:
        _url_validator(url)
    except ValidationError:
        return None
    return url


def parse_number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = squash(value).replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # 47,33 as written in much of Europe
        number = float(text)
    if not math.isfinite(number):
        raise ValueError
    return number


def split_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else _LIST_SPLIT.split(str(value))
    return [squash(item) for item in items if squash(item)]


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


class Cleaner:
    """Cleans mapped rows against the taxonomy loaded once for the whole file."""

    def __init__(
        self,
        *,
        stage_slugs: dict[str, str],
        field_slugs: dict[str, str],
        missing_country_reason: str = "",
    ):
        # slug and folded name -> slug, so "Research and development" works like "research"
        self.stage_slugs = stage_slugs
        self.field_slugs = field_slugs
        self.missing_country_reason = missing_country_reason or "country missing"
        self.kinds = {k: k for k in Organisation.Kind.values} | {
            fold(str(label)): k for k, label in Organisation.Kind.choices
        }
        self.size_bands = {k: k for k in Organisation.SizeBand.values if k} | {
            fold(str(label)): k for k, label in Organisation.SizeBand.choices if k
        }
        # Country lookups by name are slow (django-countries scans every name)
        # and files repeat a few hundred values: remember each answer.
        self._countries: dict[str, str | Rejected] = {}

    def clean(self, line: int, where: str, raw: dict[str, Any]) -> CleanRow:
        """`raw` maps targets to their raw values; raises Rejected."""
        warnings: list[tuple[str, str]] = []
        values: dict[str, Any] = {}

        name = fix_mojibake(squash(raw.get("name")))
        if not name:
            raise Rejected("name missing")
        if len(name) > NAME_MAX:
            raise Rejected(f"name longer than {NAME_MAX} characters", name[:60] + "…")
        if "\ufffd" in name:
            warnings.append(("name has characters lost at the source (�)", name))
        values["name"] = name

        values["country"] = self._country(raw.get("country"))

        kind = squash(raw.get("kind"))
        if kind:
            code = self.kinds.get(kind) or self.kinds.get(fold(kind))
            if not code:
                raise Rejected("unknown kind", kind)
            values["kind"] = code
        else:
            values["kind"] = Organisation.Kind.OTHER

        city = tidy_city(fix_mojibake(squash(raw.get("city"))))
        if len(city) > CITY_MAX:
            warnings.append((f"city longer than {CITY_MAX} characters, dropped", city[:60]))
        elif city:
            values["city"] = city

        self._coordinates(raw.get("latitude"), raw.get("longitude"), values, warnings)

        website = raw.get("website")
        if isinstance(website, list):
            website = next((w for w in website if w), "")
        website = squash(website)
        if website:
            url = normalise_url(website)
            if url:
                values["website"] = url
            else:
                warnings.append(("website is not a valid URL, dropped", website))

        for target, limit in (("description", DESCRIPTION_MAX), ("offers", OFFERS_MAX)):
            text = fix_mojibake(str(raw.get(target) or "").replace("\x00", "").strip())
            if len(text) > limit:
                warnings.append((f"{target} longer than {limit} characters, shortened", ""))
                text = truncate(text, limit)
            if text:
                values[target] = text

        size = squash(raw.get("size_band"))
        if size:
            code = self.size_bands.get(size) or self.size_bands.get(fold(size))
            if code:
                values["size_band"] = code
            else:
                warnings.append(("unknown size band, dropped", size))

        source_id = squash(raw.get("source_id"))
        if len(source_id) > SOURCE_ID_MAX:
            warnings.append(
                (f"source id longer than {SOURCE_ID_MAX} characters, shortened", source_id[:60])
            )
            source_id = source_id[:SOURCE_ID_MAX]
        if source_id:
            values["source_id"] = source_id

        stages = self._slugs(raw.get("stages"), self.stage_slugs, "unknown stage")
        fields = self._slugs(raw.get("fields"), self.field_slugs, "unknown field")
        return CleanRow(
            line=line,
            where=where,
            values=values,
            stages=stages,
            fields=fields,
            warnings=warnings,
            name_key=name_key(name),
            domain=website_domain(values.get("website", "")),
        )

    def _country(self, value: Any) -> str:
        text = squash(value)
        if not text:
            raise Rejected(self.missing_country_reason)
        if text not in self._countries:
            try:
                self._countries[text] = self._resolve_country(text)
            except Rejected as exc:
                self._countries[text] = exc
        answer = self._countries[text]
        if isinstance(answer, Rejected):
            raise Rejected(answer.reason, answer.detail)
        return answer

    @staticmethod
    def _resolve_country(text: str) -> str:
        code = normalise_country(text)
        if code:
            return code
        known = countries.alpha2(text) or countries.by_name(text)
        if known and known not in EUROPE:
            raise Rejected("country outside the platform's Europe", text)
        raise Rejected("unknown country", text)

    def _coordinates(self, lat: Any, lon: Any, values: dict, warnings: list) -> None:
        if (lat is None or lat == "") and (lon is None or lon == ""):
            return
        try:
            latitude, longitude = parse_number(lat), parse_number(lon)
        except (TypeError, ValueError):
            warnings.append(("coordinates are not numbers, dropped", f"{lat}, {lon}"))
            return
        if latitude is None or longitude is None:
            warnings.append(("only one coordinate given, dropped", f"{lat}, {lon}"))
        elif not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            warnings.append(("coordinates out of range, dropped", f"{lat}, {lon}"))
        elif latitude == 0 and longitude == 0:
            warnings.append(("coordinates 0, 0 (unset at the source), dropped", ""))
        else:
            values["latitude"], values["longitude"] = latitude, longitude

    @staticmethod
    def _slugs(value: Any, known: dict[str, str], reason: str) -> list[str]:
        slugs: list[str] = []
        for item in split_list(value):
            slug = known.get(item) or known.get(fold(item))
            if not slug:
                raise Rejected(reason, item)
            if slug not in slugs:
                slugs.append(slug)
        return slugs
