"""Text folding shared by search, de-duplication and the claim check."""

import re
import unicodedata
from urllib.parse import urlsplit

# Letters that Unicode decomposition leaves alone but people type without accents.
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)
_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, without accents: what search and de-duplication compare."""
    text = (text or "").translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalise_name(name: str) -> str:
    """A name reduced to its words, for "same name and country" de-duplication."""
    return _NON_WORD.sub(" ", fold(name)).strip()


def search_terms(query: str, limit: int = 8) -> list[str]:
    """The words of a search query, folded; at most `limit` of them."""
    return [t for t in _NON_WORD.split(fold(query)) if t][:limit]


def website_domain(url: str) -> str:
    """The host of a website without "www.", lower case; "" if there is none."""
    url = (url or "").strip()
    if not url:
        return ""
    if "://" not in url:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.strip(".").lower()
    return host.removeprefix("www.")


def domain_matches(email_domain: str, site_domain: str) -> bool:
    """True when an email's domain is the website's domain or one of its subdomains."""
    email_domain = email_domain.lower().strip(".")
    site_domain = site_domain.lower().strip(".")
    if not email_domain or not site_domain or "." not in site_domain:
        return False
    return email_domain == site_domain or email_domain.endswith("." + site_domain)
