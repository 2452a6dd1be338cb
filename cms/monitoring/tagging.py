"""Tagging rules: keywords matched on folded text, on whole words.

Text and keywords are reduced the same way (community.text.normalise_name:
folded, accents and case gone, every run of non-letters a single space), so
"CAR-T", "CAR T" and "car‑t" are one thing and boundaries are spaces. A `*` at
either end of a keyword word stands for any letters or digits there.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from community.text import fold, normalise_name

_KEYWORD_NON_WORD = re.compile(r"[^0-9a-z*]+")
_WORD = "[0-9a-z]*"


def normalise_text(text: str) -> str:
    return normalise_name(text or "")


def normalise_keyword(keyword: str) -> str:
    return _KEYWORD_NON_WORD.sub(" ", fold(keyword)).strip()


def keyword_problem(keyword: str) -> str:
    """Why `keyword` cannot be a rule's keyword, or "" if it can."""
    words = normalise_keyword(keyword).split()
    cores = [w.strip("*") for w in words]
    if not "".join(cores):
        return _("“%(keyword)s” has no letters or digits.") % {"keyword": keyword}
    if any("*" in core for core in cores):
        return _("In “%(keyword)s”, * may only start or end a word.") % {"keyword": keyword}
    if not all(cores):
        return _("In “%(keyword)s”, * must stand beside letters.") % {"keyword": keyword}
    if len("".join(cores)) < 2:
        return _("“%(keyword)s” is too short: at least two letters or digits.") % {
            "keyword": keyword
        }
    return ""


def keyword_pattern(keyword: str) -> str:
    """The regular expression (on normalised text) of one keyword, whole words only."""
    parts = []
    for word in normalise_keyword(keyword).split():
        core = re.escape(word.strip("*"))
        parts.append(
            (_WORD if word.startswith("*") else "") + core + (_WORD if word.endswith("*") else "")
        )
    return r"(?<![0-9a-z])" + " ".join(parts) + r"(?![0-9a-z])"


@dataclass
class Tags:
    fields: set[int] = field(default_factory=set)
    stages: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.fields or self.stages)


@dataclass(frozen=True)
class CompiledRule:
    pattern: re.Pattern
    field_id: int | None
    stage_id: int | None


class Ruleset:
    """The active rules, compiled once per fetch or re-tagging run."""

    def __init__(self, rules):
        self.rules: list[CompiledRule] = []
        for rule in rules:
            patterns = [keyword_pattern(k) for k in rule.keyword_list() if not keyword_problem(k)]
            if patterns:
                self.rules.append(
                    CompiledRule(re.compile("|".join(patterns)), rule.field_id, rule.stage_id)
                )

    @classmethod
    def active(cls) -> "Ruleset":
        from cms.monitoring.models import TaggingRule

        return cls(TaggingRule.objects.filter(active=True).only("keywords", "field_id", "stage_id"))

    def tags_for(self, *texts: str) -> Tags:
        text = " ".join(normalise_text(t) for t in texts if t)
        tags = Tags()
        for rule in self.rules:
            if rule.pattern.search(text):
                if rule.field_id:
                    tags.fields.add(rule.field_id)
                if rule.stage_id:
                    tags.stages.add(rule.stage_id)
        return tags
