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

# Greek and Cyrillic spelt in Latin (ELOT 743 for Greek, the common passport style
# for Cyrillic): "Αθήνα" folds to "athina", so search, slugs and de-duplication keys
# work for every European alphabet, and a Latin query finds a Greek name.
_GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o",
}  # fmt: skip
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "ђ": "dj", "е": "e",
    "ё": "e", "є": "ye", "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y",
    "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "c", "у": "u", "ў": "u", "ф": "f",
    "х": "h", "ц": "ts", "ч": "ch", "џ": "dz", "ш": "sh", "щ": "sht", "ъ": "a",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ѓ": "gj", "ќ": "kj", "ѕ": "dz",
}  # fmt: skip
_TABLE = {ord(k): v for k, v in (_GREEK | _CYRILLIC).items()}




def latinise(text: str) -> str:
    """`text` with Greek and Cyrillic letters spelt in Latin; other letters unchanged."""
    if text.isascii():
        return text
    # Accents first (Greek tonos), so that "ά" finds "α" in the table.
    decomposed = "".join(
        c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c)
    )
    return decomposed.translate(_TABLE)


def fold(text: str) -> str:
    """Lower case, without accents: what search and de-duplication compare."""
    text = (text or "").translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_TABLE)


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
