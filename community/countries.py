"""Which countries the platform maps, and how outside data names them.

The list is the map's: the 50 European countries of Natural Earth's geometry
(shared/data/geo), Kosovo included. Names come from django-countries, so they
are translated with the rest of the interface.
"""

from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import Countries

EUROPE = ["AD", "AL", "AM", "AT", "AZ", "BA", "BE", "BG", "BY", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GE", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MD", "ME", "MK", "MT", "NL", "NO", "PL", "PT", "RO", "RS", "RU", "SE", "SI", "SK", "SM", "TR", "UA", "VA", "XK"]

EU27 = frozenset(
    ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"]
)

# Codes that outside data uses for a country we know under another code.
ALIASES = {
    "EL": "GR",  # Eurostat writes Greece as EL
    "UK": "GB",  # Eurostat and the EU write the United Kingdom as UK
    # French overseas regions and collectivities are mapped to France
    "MQ": "FR",
    "RE": "FR",
    "GP": "FR",
    "GF": "FR",
    "PM": "FR",
    "YT": "FR",
    "BL": "FR",
    "MF": "FR",
    "NC": "FR",
    "PF": "FR",
    "WF": "FR",
    # Crown dependencies and overseas territories to their sovereign state
    "GG": "GB",
    "JE": "GB",
    "IM": "GB",
    "GI": "GB",
    "FO": "DK",
    "GL": "DK",
    "AX": "FI",
    "SJ": "NO",
}


class EuropeanCountries(Countries):
    # ISO has not assigned Kosovo's code; XK is the one the EU and Eurostat use.
    only = [c if c != "XK" else ("XK", _("Kosovo")) for c in EUROPE]


european_countries = EuropeanCountries()


def country_name(code: str) -> str:
    return str(european_countries.name(code) or code)


def normalise_country(value: str | None) -> str | None:
    """Returns the ISO alpha-2 code of a European country, or None.

    Accepts alpha-2 and alpha-3 codes in any case, the aliases above, and
    English country names.
    """
    if not value:
        return None
    text = value.strip()
    if not text:
        return None
    upper = text.upper()
    upper = ALIASES.get(upper, upper)
    if len(upper) == 2 and upper in EUROPE:
        return upper
    if len(upper) == 3:
        code = countries.alpha2(upper)
        if code and code in EUROPE:
            return code
    by_name = countries.by_name(text)
    if by_name:
        by_name = ALIASES.get(by_name, by_name)
        if by_name in EUROPE:
            return by_name
    return _ENGLISH_ALTERNATIVES.get(text.casefold())


_ENGLISH_ALTERNATIVES = {
    "czech republic": "CZ",
    "the netherlands": "NL",
    "holland": "NL",
    "great britain": "GB",
    "united kingdom": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "russia": "RU",
    "moldova": "MD",
    "north macedonia": "MK",
    "macedonia": "MK",
    "kosovo": "XK",
    "turkey": "TR",
    "türkiye": "TR",
    "vatican": "VA",
    "holy see": "VA",
    "bosnia": "BA",
    "bosnia and herzegovina": "BA",
}
