"""Markdown to HTML that is safe to show to other people.

markdown-it renders CommonMark with raw HTML disabled; nh3 (ammonia) then
keeps only an allow-list of tags and attributes, and only http, https and
mailto links: no script, no `javascript:` URL, no event attribute survives.
"""

import nh3
from markdown_it import MarkdownIt

_renderer = (
    MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True, "typographer": False})
    .enable(["linkify", "strikethrough", "table"])
    .disable(["image"])
)

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render(text: str) -> str:
    html = _renderer.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
        strip_comments=True,
    ).strip()
