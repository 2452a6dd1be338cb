"""The personal feed, following fields from it, and the tendencies page."""

from urllib.parse import urlencode, urlsplit

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms.monitoring import selectors, services
from cms.monitoring.models import FeedItem

PAGE_SIZE = 20
TENDENCY_MONTHS = (6, 12, 24)


def _feed_context(request, params) -> dict:
    query = selectors.FeedQuery.from_params(params)
    prefs = selectors.preferences_of(request.user)
    qs = selectors.feed_items_for(prefs, query)
    page = Paginator(selectors.item_cards(qs), PAGE_SIZE).get_page(params.get("page"))
    for item in page.object_list:
        item.reasons = prefs.reasons(item)
    chosen = next((f for f in prefs.fields.values() if f.slug == query.field), None)
    org_only = prefs.organisation_field_ids - prefs.followed
    context = {
        "page": page,
        "query": query,
        "querystring": urlencode(query.as_params()),
        "prefs": prefs,
        "followed_fields": prefs.followed_fields(),
        "organisation_fields": [f for f in prefs.fields.values() if f.pk in org_only],
        "other_fields": [f for f in prefs.fields.values() if f.pk not in prefs.followed],
        "all_fields": list(prefs.fields.values()),
        "stages": list(selectors.stages_all()),
        "sources": [(k, label) for k, (_kinds, label) in selectors.SOURCES.items()],
        "periods": [(k, label) for k, (_days, label) in selectors.PERIODS.items()],
        "chosen_field": chosen,
        "browsing": chosen is not None and chosen.pk not in prefs.wanted,
        "no_interests": not prefs.wanted,
        "suggestions": [] if prefs.wanted else selectors.popular_fields(),
        "external_kind": FeedItem.Kind.EXTERNAL,
    }
    return context


@login_required
def feed(request):
    context = _feed_context(request, request.GET)
    context["current_url"] = request.get_full_path()
    if request.htmx and not request.htmx.boosted and request.htmx.target == "feed-results":
        template = "monitoring/_feed_results.html"
    else:
        template = "monitoring/feed.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def _safe_next(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("monitoring:feed")


@login_required
@require_POST
def follow(request, slug: str, action: str):
    """Follows or unfollows a field. htmx gets the feed's body back, re-read with the
    filters of the page the button was on; a plain form post is redirected there."""
    field = selectors.field_by_slug(slug)
    if field is None or action not in ("follow", "unfollow"):
        raise Http404
    change = (services.interest_follow if action == "follow" else services.interest_unfollow)(
        actor=request.user, user=request.user, field=field
    )
    if change.following:
        message = _("You now follow %(field)s: its news is in your feed.") % {"field": field.name}
    else:
        message = _("You no longer follow %(field)s.") % {"field": field.name}
    target = _safe_next(request)
    if request.htmx:
        params = QueryDict(urlsplit(target).query)
        context = _feed_context(request, params)
        context["current_url"] = target
        context["status_message"] = message
        return render(request, "monitoring/feed.html", context)
    flash.success(request, message)
    return redirect(target)


@login_required
def tendencies(request):
    try:
        months = int(request.GET.get("months", 12))
    except ValueError:
        months = 12
    if months not in TENDENCY_MONTHS:
        months = 12
    prefs = selectors.preferences_of(request.user)
    data = selectors.tendencies(viewer=request.user, months=months, followed=prefs.followed)
    context = {
        "data": data,
        "months": months,
        "month_choices": TENDENCY_MONTHS,
        "first_month": data.months[0],
        "last_month": data.months[-1],
    }
    return render(request, "monitoring/tendencies.html", context)
