"""Call pages: the list and its search, calls for you, my calls, saved searches, the call, and its form."""

from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.countries import country_name
from community.errors import NotAllowed, ServiceError
from community.models import Field, Organisation, OrganisationMembership, Stage
from partnerships import selectors, services
from partnerships.forms import (
    CallForm,
    RenewForm,
    RespondForm,
    SavedSearchDeleteForm,
    SaveSearchForm,
)
from partnerships.models import Call, Response, SavedSearch
from partnerships.views.common import (
    add_form_error,
    dress,
    facet_rows,
    label_events,
    parse_query,
    query_params,
    refusals_flashed,
    saved_query_string,
    viewer_of,
)

PAGE_SIZE = 20


# The list


def _active_filters(query, params, facets) -> list[dict]:
    labels = {name: {v["value"]: v["label"] for v in facets[name]} for name in ("kind", "stage", "field", "country")}

    def without(name: str, value: str) -> str:
        rest = [(k, v) for k, v in params if not (k == name and v == value)]
        return "?" + urlencode(rest) if rest else "?"

    active = []
    if query.q:
        active.append({"label": f"“{query.q}”", "remove_url": without("q", query.q)})
    for name in ("kind", "stage", "field", "country"):
        for value in getattr(query, name):
            label = labels[name].get(value) or (country_name(value) if name == "country" else value)
            active.append({"label": label, "remove_url": without(name, value)})
    if query.deadline_before:
        when = query.deadline_before.isoformat()
        active.append({"label": _("closing by %(date)s") % {"date": when}, "remove_url": without("closing_by", when)})
    return active


@login_required
def call_list(request):
    viewer = viewer_of(request)
    query = parse_query(request.GET)
    page = Paginator(selectors.call_cards(selectors.call_search(viewer, query)), PAGE_SIZE).get_page(request.GET.get("page"))
    dress(page.object_list, viewer)
    facets = selectors.call_facets(viewer, query)
    params = query_params(query)
    context = {
        "query": query,
        "page": page,
        "facets": {name: facet_rows(facets[name]) for name in ("kind", "stage", "field", "country")},
        "facet_titles": {"kind": _("Kind"), "stage": _("Value-chain stage"), "field": _("Field"), "country": _("Country sought")},
        "all_europe": facets["all_europe"],
        "active_filters": _active_filters(query, params, facets),
        "querystring": urlencode(params),
        "saved_query": query.as_saved(),
        "save_form": SaveSearchForm(initial={"name": _suggested_name(query, facets)}),
        "can_publish": bool(viewer.managed_ids),
    }
    template = "partnerships/_call_results.html" if request.htmx and not request.htmx.boosted else "partnerships/call_list.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def _suggested_name(query, facets) -> str:
    labels = {name: {v["value"]: v["label"] for v in facets[name]} for name in ("kind", "stage", "field", "country")}
    parts = [query.q] if query.q else []
    for name in ("field", "stage", "kind", "country"):
        parts += [str(labels[name].get(v) or v) for v in getattr(query, name)]
    return " + ".join(parts)[:120]


# Calls for you


class _Matched:
    """The page of matches already read, as a sequence the paginator can count and slice."""

    def __init__(self, matches, total: int, offset: int):
        self.matches, self.total, self.offset = matches, total, offset

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, item):
        start = (item.start or 0) - self.offset
        return self.matches[max(0, start) : max(0, start) + ((item.stop or self.total) - (item.start or 0))]


@login_required
def calls_for_you(request):
    viewer = viewer_of(request)
    memberships = list(
        OrganisationMembership.objects.filter(user=request.user)
        .select_related("organisation")
        .only("role", "created_at", "organisation__id", "organisation__name", "organisation__slug", "organisation__country")
        .order_by("role", "created_at")  # where one is an admin first, as the matching does
    )
    organisations = [m.organisation for m in memberships]
    chosen = None
    if request.GET.get("organisation"):
        chosen = next((o for o in organisations if o.slug == request.GET["organisation"]), None)
    chosen = chosen or (organisations[0] if organisations else None)
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        number = 1
    matches, total = selectors.calls_for_you(viewer, organisation=chosen, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    if not matches and total and number > 1:  # past the last page: show the last one
        number = (total + PAGE_SIZE - 1) // PAGE_SIZE
        matches, total = selectors.calls_for_you(viewer, organisation=chosen, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    page = Paginator(_Matched(matches, total, (number - 1) * PAGE_SIZE), PAGE_SIZE).get_page(number)
    dress([m.call for m in matches], viewer)
    profile = None
    if chosen is not None:
        # What the matching reads of the organisation, to explain an empty profile.
        profile = {
            "fields": chosen.fields.count(),
            "stages": chosen.stages.count(),
            "admin": any(m.organisation_id == chosen.pk and m.role == OrganisationMembership.Role.ADMIN for m in memberships),
        }
    interests = request.user.interests.count() if chosen is None else 0
    context = {
        "matches": matches,
        "page": page,
        "total": total,
        "organisations": organisations,
        "chosen": chosen,
        "profile": profile,
        "querystring": urlencode([("organisation", chosen.slug)]) if chosen and len(organisations) > 1 else "",
        "interests": interests,
        # Something to match with: the organisation's fields or stages, else one's fields of interest.
        "matchable": bool(profile["fields"] or profile["stages"]) if profile else bool(interests),
    }
    return render(request, "partnerships/calls_for_you.html", context)


# Mine and saved


@login_required
def my_calls(request):
    viewer = viewer_of(request)
    calls = dress(list(selectors.call_cards(selectors.my_calls(viewer))[:200]), viewer)
    responses = list(selectors.my_responses(viewer).select_related("call__organisation")[:200])
    for response in responses:
        response.shown_org = selectors.shown_organisation(response.call, viewer)
    return render(
        request,
        "partnerships/my_calls.html",
        {
            "calls": calls,
            "responses": responses,
            "has_organisation": bool(viewer.organisation_ids),
            "can_publish": bool(viewer.managed_ids),
        },
    )


@login_required
def saved_searches(request):
    """The user's saved searches; POST saves the list's current search, or deletes one."""
    if request.method == "POST":
        if "delete" in request.POST:
            form = SavedSearchDeleteForm({"saved": request.POST.get("delete")}, user=request.user)
            if form.is_valid():
                with refusals_flashed(request) as outcome:
                    services.saved_search_delete(actor=request.user, saved=form.cleaned_data["saved"])
                if not outcome.refused:
                    flash.success(request, _("The saved search is deleted."))
            return redirect("partnerships:saved-searches")
        form = SaveSearchForm(request.POST)
        query = parse_query(request.POST)
        if form.is_valid():
            try:
                saved = services.saved_search_create(
                    actor=request.user, name=form.cleaned_data["name"], query=query.as_saved(), notify=True
                )
            except ServiceError as exc:
                flash.error(request, exc.message)
                return redirect(reverse("partnerships:call-list") + "?" + urlencode(query_params(query)))
            flash.success(request, _("Search saved: “%(name)s”. We will tell you when a new call matches it.") % {"name": saved.name})
            return redirect("partnerships:saved-searches")
        flash.error(request, _("Name the search to save it."))
        return redirect(reverse("partnerships:call-list") + "?" + urlencode(query_params(query)))
    rows = []
    labels = _filter_labels()
    for saved in SavedSearch.objects.filter(user=request.user):
        rows.append({"saved": saved, "url": reverse("partnerships:call-list") + "?" + saved_query_string(saved.query), "filters": _describe(saved.query, labels)})
    return render(request, "partnerships/saved_searches.html", {"rows": rows})


def _filter_labels() -> dict:
    return {
        "kind": dict(Call.Kind.choices),
        "stage": dict(Stage.objects.values_list("slug", "name")),
        "field": dict(Field.objects.values_list("slug", "name")),
    }


def _describe(saved_query: dict, labels: dict) -> list[str]:
    parts = [f"“{saved_query['q']}”"] if saved_query.get("q") else []
    for name in ("kind", "stage", "field", "country"):
        for value in saved_query.get(name) or []:
            parts.append(country_name(value) if name == "country" else str(labels[name].get(value, value)))
    return parts


# The call


def _my_organisations(request):
    return Organisation.objects.filter(memberships__user=request.user).order_by("name")


def detail_context(request, call: Call, *, respond_form: RespondForm | None = None) -> dict:
    """The call page, for anyone who may see the call: what they may know of it and do with it."""
    viewer = viewer_of(request)
    manages = viewer.manages(call)
    dress([call], viewer)
    mine = list(
        selectors.responses_visible(viewer, call)
        .filter(organisation_id__in=viewer.organisation_ids)
        .prefetch_related("events")
    )
    for response in mine:
        response.qa = list(zip(call.questions, response.answers or [], strict=False))
        label_events(response.events.all())
    responded = {r.organisation_id for r in mine}
    eligible = _my_organisations(request).exclude(pk=call.organisation_id).exclude(pk__in=responded)
    if respond_form is None and call.is_open:
        respond_form = RespondForm(call=call, organisations=eligible)
    return {
        "call": call,
        "shown_org": selectors.shown_organisation(call, viewer),
        "manages": manages,
        "in_organisation": call.organisation_id in viewer.organisation_ids,
        "my_responses": mine,
        "respond_form": respond_form if call.is_open and eligible.exists() else None,
        "eligible": eligible,
        "has_organisation": bool(viewer.organisation_ids),
        "stages": call.stages.all(),
        "fields": call.fields.all(),
        "countries": [country_name(c) for c in call.country_rows.values_list("country", flat=True)],
        "renew_form": RenewForm(prefix="renew", zone=request.user.time_zone) if manages and _needs_renewal(call) else None,
        "can_delete": manages and call.status in (Call.Status.DRAFT, Call.Status.REVIEW),
        "withdrawable": {Response.Status.SUBMITTED, Response.Status.SHORTLISTED, Response.Status.IN_DISCUSSION},
        "now": timezone.now(),
    }


def _needs_renewal(call: Call) -> bool:
    past = call.status == Call.Status.PUBLISHED and call.deadline <= timezone.now()
    return call.status in (Call.Status.CLOSED, Call.Status.EXPIRED) or past


@login_required
def call_detail(request, pk):
    call = selectors.call_get_visible(viewer_of(request), pk)
    return render(request, "partnerships/call_detail.html", detail_context(request, call))


def _call_changes(form, call: Call | None) -> dict:
    data = form.cleaned_data
    changes = {k: data[k] for k in ("kind", "title", "summary", "description", "topic_reference", "audience")}
    links = {
        "stages": list(data["stages"]),
        "fields": list(data["fields"]),
        "countries": list(data["countries"]),
        "workgroups": list(data["workgroups"]) if data["audience"] == Call.Audience.GROUPS else [],
    }
    deadline = data["deadline"]
    if call is None:
        changes.update(deadline=deadline, anonymous=data["anonymous"], questions=data["questions"])
        return changes | links
    # The form holds minutes: an unchanged deadline keeps its exact instant (and skips the "an hour from now" check).
    if deadline != call.deadline.replace(second=0, microsecond=0):
        changes["deadline"] = deadline
    if not form.anonymity_locked and data["anonymous"] != call.anonymous:
        changes["anonymous"] = data["anonymous"]
    if not form.questions_locked and data["questions"] != call.questions:
        changes["questions"] = data["questions"]
    return changes | links


@login_required
def call_create(request):
    viewer = viewer_of(request)
    if not viewer.managed_ids:
        raise NotAllowed(
            _("You publish calls for an organisation you manage. Ask your organisation's admins to allow you, or add your organisation to the directory.")
        )
    form = CallForm(request.POST or None, user=request.user, zone=request.user.time_zone)
    if request.method == "POST" and form.is_valid():
        publish = request.POST.get("action") == "publish"
        try:
            call = services.call_create(
                actor=request.user, organisation=form.cleaned_data["organisation"], publish=publish, **_call_changes(form, None)
            )
        except (ServiceError, ValidationError) as exc:
            add_form_error(form, exc)
        else:
            if call.status == Call.Status.PUBLISHED:
                flash.success(request, _("Your call is published."))
            elif call.status == Call.Status.REVIEW:
                flash.success(request, _("Your call waits for a platform reviewer before it is published."))
            else:
                flash.success(request, _("Draft saved. Publish it when it is ready."))
            return redirect(call)
    return render(request, "partnerships/call_form.html", {"form": form, "creating": True})


def _managed_call_or_refuse(request, pk) -> Call:
    """The call, if the viewer may see it (404 otherwise) and manage it (403 otherwise)."""
    viewer = viewer_of(request)
    call = selectors.call_get_visible(viewer, pk)
    if not viewer.manages(call):
        raise NotAllowed(_("Only the organisation's admins, and the members they allow, manage its calls."))
    return call


@login_required
def call_edit(request, pk):
    call = _managed_call_or_refuse(request, pk)
    if call.status in (Call.Status.CLOSED, Call.Status.EXPIRED):
        flash.info(request, _("This call is %(status)s: renew it with a new deadline to change it.") % {"status": call.get_status_display().lower()})
        return redirect(call)
    call = Call.objects.prefetch_related("stages", "fields", "country_rows", "workgroups").select_related("organisation").get(pk=call.pk)
    form = CallForm(request.POST or None, user=request.user, call=call, zone=request.user.time_zone, initial=CallForm.initial_for(call))
    if request.method == "POST" and form.is_valid():
        publish = request.POST.get("action") == "publish" and call.status == Call.Status.DRAFT
        try:
            call = services.call_update(actor=request.user, call=call, **_call_changes(form, call))
            if publish:
                call = services.call_publish(actor=request.user, call=call)
        except (ServiceError, ValidationError) as exc:
            add_form_error(form, exc)
        else:
            flash.success(request, _("Your call is published.") if call.status == Call.Status.PUBLISHED and publish else _("Saved."))
            return redirect(call)
    return render(request, "partnerships/call_form.html", {"form": form, "call": call, "creating": False})


@login_required
@require_POST
def call_lifecycle(request, pk):
    call = _managed_call_or_refuse(request, pk)
    action = request.POST.get("action")
    with refusals_flashed(request):
        if action == "publish":
            call = services.call_publish(actor=request.user, call=call)
            if call.status == Call.Status.REVIEW:
                flash.success(request, _("Your call waits for a platform reviewer before it is published."))
            else:
                flash.success(request, _("Your call is published."))
        elif action == "close":
            services.call_close(actor=request.user, call=call)
            flash.success(request, _("The call is closed: it takes no more responses. Its board stays open for your decisions."))
        elif action == "renew":
            form = RenewForm(request.POST, prefix="renew", zone=request.user.time_zone)
            if not form.is_valid():
                errors = [e for errors in form.errors.values() for e in errors]
                raise ServiceError(" ".join(errors) or _("Give a new deadline."))
            services.call_renew(actor=request.user, call=call, deadline=form.cleaned_data["deadline"])
            flash.success(request, _("The call is open again until its new deadline."))
        elif action == "delete":
            services.call_delete(actor=request.user, call=call)
            flash.success(request, _("The draft is deleted."))
            return redirect("partnerships:my-calls")
        else:
            raise Http404
    return redirect("partnerships:call-detail", pk=call.pk)
