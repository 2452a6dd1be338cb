"""Organisation pages: profile, create, edit, members, claim, leave."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community import permissions, selectors, services
from community.errors import NotAllowed, ServiceError
from community.forms import ClaimForm, MemberAddForm, MemberRoleForm, OrganisationForm
from community.models import ClaimRequest, OrganisationMembership, User


def _form_error(form, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    else:
        form.add_error(None, getattr(exc, "message", str(exc)))


def organisation_detail(request, slug):
    organisation = selectors.organisation_get_visible(viewer=request.user, slug=slug)
    my_membership = None
    pending_claim = None
    if request.user.is_authenticated:
        my_membership = OrganisationMembership.objects.filter(organisation=organisation, user=request.user).first()
        if not organisation.claimed:
            pending_claim = ClaimRequest.objects.filter(
                organisation=organisation, user=request.user, status=ClaimRequest.Status.PENDING
            ).first()
    context = {
        "organisation": organisation,
        "members": selectors.organisation_members_visible(viewer=request.user, organisation=organisation),
        "can_edit": permissions.has(request.user, "community.change_organisation", organisation),
        "can_manage": permissions.has(request.user, "community.manage_organisation_members", organisation),
        "my_membership": my_membership,
        "pending_claim": pending_claim,
        "claim_form": ClaimForm(),
    }
    context.update(_partnerships_section(request, organisation))
    return render(request, "community/organisation_detail.html", context)


def _partnerships_section(request, organisation) -> dict:
    """The organisation's partnerships both sides show, and its open calls this viewer may see under its name."""
    # partnerships builds on community: read it here, not at import time.
    from partnerships import selectors as calls

    open_calls = []
    if request.user.is_authenticated:
        query = calls.CallQuery(organisation=organisation.slug, state="open")  # anonymous calls left out
        open_calls = list(calls.call_search(request.user, query).only("id", "kind", "title", "summary", "deadline")[:10])
    return {
        "public_partnerships": list(calls.partnerships_public(organisation)[:20]),
        "open_calls": open_calls,
    }


@login_required
def organisation_create(request):
    form = OrganisationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        stages, fields = data.pop("stages"), data.pop("fields")
        name, country, kind = data.pop("name"), data.pop("country"), data.pop("kind")
        data = {k: v for k, v in data.items() if v not in (None, "")}
        try:
            organisation = services.organisation_create(
                creator=request.user, name=name, country=country, kind=kind, stages=stages, fields=fields, **data
            )
        except (ServiceError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("%(name)s is now in the directory, with you as its admin.") % {"name": organisation.name})
            return redirect(organisation)
    return render(request, "community/organisation_form.html", {"form": form, "creating": True})


@login_required
def organisation_edit(request, slug):
    organisation = selectors.organisation_get_visible(viewer=request.user, slug=slug)
    if not permissions.has(request.user, "community.change_organisation", organisation):
        raise NotAllowed(_("Only the organisation's admins can edit it."))
    form = OrganisationForm(request.POST or None, request.FILES or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        stages, fields = data.pop("stages", None), data.pop("fields", None)
        # The form mutated the instance in place; the service re-reads it under a lock.
        organisation.refresh_from_db()
        try:
            organisation = services.organisation_update(
                actor=request.user, organisation=organisation, stages=stages, fields=fields, **data
            )
        except (ServiceError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(organisation)
    return render(request, "community/organisation_form.html", {"form": form, "organisation": organisation})


@login_required
def organisation_members(request, slug):
    organisation = selectors.organisation_get_visible(viewer=request.user, slug=slug)
    if not permissions.has(request.user, "community.manage_organisation_members", organisation):
        raise NotAllowed(_("Only the organisation's admins can manage its members."))
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_member_add(
                actor=request.user,
                organisation=organisation,
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(user)s was added.") % {"user": form.cleaned_data["user"]})
            return redirect("community:organisation-members", slug=organisation.slug)
    context = {
        "organisation": organisation,
        "memberships": selectors.organisation_memberships_managed(actor=request.user, organisation=organisation),
        "form": form,
        "roles": OrganisationMembership.Role.choices,
    }
    return render(request, "community/organisation_members.html", context)


@login_required
@require_POST
def organisation_member_role(request, slug, user_id):
    organisation = selectors.organisation_get_visible(viewer=request.user, slug=slug)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
    else:
        user = get_object_or_404(User, pk=user_id)
        try:
            services.organisation_member_set_role(
                actor=request.user, organisation=organisation, user=user, role=form.cleaned_data["role"]
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The role of %(user)s is now %(role)s.") % {"user": user, "role": dict(OrganisationMembership.Role.choices)[form.cleaned_data["role"]]})
    return redirect("community:organisation-members", slug=organisation.slug)


@login_required
@require_POST
def organisation_member_remove(request, slug, user_id):
    organisation = selectors.organisation_get_visible(viewer=request.user, slug=slug)
    user = get_object_or_404(User, pk=user_id)
    try:
        services.organisation_member_remove(actor=request.user, organisation=organisation, user=user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(user)s is no longer a member.") % {"user": user})
    if user.pk == request.user.pk:
        return redirect(organisation)
    return redirect("community:organisation-members", slug=organisation.slug)


@login_required
@require_POST
def organisation_leave(request, slug):
    organisation = selectors.organisation_get_visible(viewer=request.user, slug=slug)
    try:
        services.organisation_leave(actor=request.user, organisation=organisation)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You have left %(name)s.") % {"name": organisation.name})
    return redirect(organisation)


@login_required
@require_POST
def organisation_listed(request, slug):
    organisation = selectors.organisation_get_visible(viewer=request.user, slug=slug)
    membership = OrganisationMembership.objects.filter(organisation=organisation, user=request.user).first()
    if membership is None:
        raise Http404
    listed = request.POST.get("listed") == "1"
    services.membership_set_listed(actor=request.user, membership=membership, listed=listed)
    messages.success(request, _("You are shown on this page.") if listed else _("You are no longer shown on this page."))
    return redirect(organisation)


@login_required
@require_POST
def organisation_claim(request, slug):
    organisation = selectors.organisation_get_visible(viewer=request.user, slug=slug)
    form = ClaimForm(request.POST)
    message = form.cleaned_data["message"] if form.is_valid() else ""
    try:
        result = services.organisation_claim(actor=request.user, organisation=organisation, message=message)
    except ServiceError as exc:
        messages.error(request, exc.message)
    except NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        if isinstance(result, ClaimRequest):
            messages.success(request, _("Your claim was sent. A platform admin will decide it and email you."))
        else:
            messages.success(request, _("Your email address matches the website: you now manage %(name)s.") % {"name": organisation.name})
    return redirect(organisation)
