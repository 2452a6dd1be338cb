"""Response pages: responding, the call's board and its moves, and my organisations' partnerships."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from community import permissions as perms
from community.errors import ServiceError
from community.models import Organisation
from partnerships import permissions, selectors, services, workflow
from partnerships.forms import MoveForm, RespondForm
from partnerships.models import Partnership, Response, ResponseEvent
from partnerships.views.calls import detail_context
from partnerships.views.common import add_form_error, error_text, label_events, viewer_of

R = Response.Status
COLUMNS = (R.SUBMITTED, R.SHORTLISTED, R.IN_DISCUSSION, R.ACCEPTED, R.DECLINED, R.WITHDRAWN)
# What each move's button says on the board.
MOVE_LABELS = {
    R.SHORTLISTED: gettext_lazy("Shortlist"),
    R.IN_DISCUSSION: gettext_lazy("Start a discussion"),
    R.ACCEPTED: gettext_lazy("Accept"),
    R.DECLINED: gettext_lazy("Decline"),
}
# Final moves are confirmed first.
CONFIRMED = {R.ACCEPTED, R.DECLINED}
COLUMN_HINTS = {
    R.SUBMITTED: gettext_lazy("New responses, not yet looked at."),
    R.SHORTLISTED: gettext_lazy("Worth a closer look."),
    R.IN_DISCUSSION: gettext_lazy("A private conversation is open with them."),
    R.ACCEPTED: gettext_lazy("Partnerships recorded."),
    R.DECLINED: gettext_lazy("Declined: final."),
    R.WITHDRAWN: gettext_lazy("Withdrawn by the responder."),
}


@login_required
@require_POST
def respond(request, pk):
    viewer = viewer_of(request)
    call = selectors.call_get_visible(viewer, pk)
    if not call.is_open:
        flash.error(request, _("This call no longer takes responses."))
        return redirect(call)
    context = detail_context(request, call)
    form = RespondForm(request.POST, call=call, organisations=context["eligible"])
    if form.is_valid():
        try:
            services.response_create(
                actor=request.user,
                call=call,
                organisation=form.cleaned_data["organisation"],
                message=form.cleaned_data["message"],
                answers=form.answers,
            )
        except ServiceError as exc:
            add_form_error(form, exc)
        else:
            flash.success(request, _("Your response is sent. You will be told when the call's publisher decides."))
            return redirect(reverse("partnerships:call-detail", kwargs={"pk": call.pk}) + "#my-responses")
    context["respond_form"] = form
    return render(request, "partnerships/call_detail.html", context)


@login_required
def board(request, pk):
    """The call's responses by status, with the moves the workflow allows: for its managers only."""
    viewer = viewer_of(request)
    call = selectors.call_get_visible(viewer, pk)
    if not viewer.manages(call):
        raise Http404  # the board of someone else's call is not a page one can know of
    responses = list(
        selectors.responses_visible(viewer, call).prefetch_related(
            Prefetch("events", queryset=ResponseEvent.objects.select_related("actor").order_by("created_at", "id"))
        )
    )
    questions = call.questions
    for response in responses:
        response.moves = [
            {"status": target, "label": MOVE_LABELS[target], "confirm": target in CONFIRMED}
            for target in COLUMNS
            if target in workflow.OWNER_MOVES.get(response.status, set())
        ]
        response.qa = list(zip(questions, response.answers or [], strict=False))
        label_events(response.events.all())
    labels = dict(R.choices)
    columns = [
        {"status": status, "label": labels[status], "hint": COLUMN_HINTS[status], "responses": [r for r in responses if r.status == status]}
        for status in COLUMNS
    ]
    return render(
        request,
        "partnerships/board.html",
        {"call": call, "columns": columns, "total": len(responses), "shown_org": call.organisation},
    )


@login_required
@require_POST
def move(request, pk, rid):
    viewer = viewer_of(request)
    call = selectors.call_get_visible(viewer, pk)
    response = selectors.response_get_visible(viewer, call, rid)
    form = MoveForm(request.POST)
    back = (
        reverse("partnerships:call-board", kwargs={"pk": call.pk}) + f"#response-{response.pk}"
        if viewer.manages(call)
        else reverse("partnerships:call-detail", kwargs={"pk": call.pk}) + "#my-responses"
    )
    if not form.is_valid():
        flash.error(request, _("Choose a status from the board."))
        return redirect(back)
    target = form.cleaned_data["status"]
    try:  # NotAllowed (a visible response, a move that is not theirs to make) is the 403 page.
        response = services.response_move(actor=request.user, response=response, status=target, note=form.cleaned_data["note"])
    except ServiceError as exc:
        flash.error(request, error_text(exc))
        return redirect(back)
    org = response.organisation.name
    notes = {
        R.SHORTLISTED: _("%(org)s is shortlisted.") % {"org": org},
        R.IN_DISCUSSION: _("A private conversation with %(org)s is open.") % {"org": org},
        R.ACCEPTED: _("You accepted %(org)s: the partnership is recorded.") % {"org": org},
        R.DECLINED: _("%(org)s is declined.") % {"org": org},
        R.WITHDRAWN: _("Your response is withdrawn."),
    }
    flash.success(request, notes.get(target, _("Done.")))
    return redirect(back)


@login_required
def partnerships(request):
    """My organisations' partnerships; their admins choose whether each shows on their profile."""
    viewer = viewer_of(request)
    admin_of = set(perms.held_pks(request.user, permissions.ADMIN, Organisation).values_list("object_id", flat=True))
    if request.method == "POST":
        try:
            partnership = selectors.partnerships_of(viewer).get(pk=int(request.POST.get("partnership", "")))
            organisation = Organisation.objects.get(pk=int(request.POST.get("organisation", "")))
        except (Partnership.DoesNotExist, Organisation.DoesNotExist, ValueError):
            raise Http404 from None
        shown = request.POST.get("shown") == "1"
        # NotAllowed (not an admin of that side) is the 403 page.
        services.partnership_show(actor=request.user, partnership=partnership, organisation=organisation, shown=shown)
        if shown:
            flash.success(request, _("%(org)s agrees to show this partnership on its profile.") % {"org": organisation.name})
        else:
            flash.success(request, _("This partnership no longer shows on the profile of %(org)s.") % {"org": organisation.name})
        return redirect(reverse("partnerships:partnerships") + f"#partnership-{partnership.pk}")
    rows = []
    for p in selectors.partnerships_of(viewer):
        sides = []
        for org, shows, other_shows in ((p.publisher, p.publisher_shows, p.partner_shows), (p.partner, p.partner_shows, p.publisher_shows)):
            if org.pk in viewer.organisation_ids:
                sides.append({"organisation": org, "shows": shows, "other_shows": other_shows, "admin": org.pk in admin_of})
        ours = sides[0]["organisation"] if sides else None
        other = p.partner if ours is not None and ours.pk == p.publisher_id else p.publisher
        rows.append({"partnership": p, "sides": sides, "other": other})
    return render(request, "partnerships/partnerships.html", {"rows": rows, "has_organisation": bool(viewer.organisation_ids)})
