"""Group pages: browse, create, the group's home, joining, members, invitations, chat."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.errors import ServiceError
from community.models import Field, User
from messaging.views import refusals_shown
from workgroups import permissions, selectors, services
from workgroups.forms import AnnouncementForm, InviteForm, JoinRequestForm, RoleForm, WorkgroupForm
from workgroups.models import EmailInvitation, Membership
from workgroups.views.common import group_context

PAGE_SIZE = 20


@login_required
def group_list(request):
    q = request.GET.get("q", "")[:200].strip()
    field_slugs = [f for f in request.GET.getlist("field") if f][:20]
    qs = selectors.workgroup_list_visible(user=request.user, q=q, fields=field_slugs).order_by("-last_activity_at", "pk")
    page = Paginator(selectors.workgroup_cards(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    mine = set(
        Membership.objects.filter(user=request.user, workgroup__in=[g.pk for g in page.object_list]).values_list("workgroup_id", "status")
    )
    status_of = dict(mine)
    for g in page.object_list:
        g.my_status = status_of.get(g.pk)
    from urllib.parse import urlencode

    querystring = urlencode([("q", q)] * bool(q) + [("field", f) for f in field_slugs])
    context = {
        "page": page,
        "q": q,
        "fields": Field.objects.all(),
        "selected_fields": set(field_slugs),
        "querystring": querystring,
    }
    template = "workgroups/_group_results.html" if request.htmx and not request.htmx.boosted else "workgroups/group_list.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@login_required
def my_groups(request):
    groups = selectors.workgroup_cards(selectors.my_workgroups(user=request.user))
    invited = selectors.workgroup_cards(
        selectors.workgroup_list_visible(user=request.user).filter(
            memberships__user=request.user, memberships__status=Membership.Status.INVITED
        )
    )
    pending = selectors.workgroup_cards(
        selectors.workgroup_list_visible(user=request.user).filter(
            memberships__user=request.user, memberships__status=Membership.Status.PENDING
        )
    )
    return render(request, "workgroups/my_groups.html", {"groups": groups, "invited": invited, "pending": pending})


def _form_errors(form, exc):
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, getattr(exc, "message", None) or " ".join(getattr(exc, "messages", [str(exc)])))


@login_required
def group_create(request):
    form = WorkgroupForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            workgroup = services.workgroup_create(
                creator=request.user,
                name=data["name"],
                description=data["description"],
                visibility=data["visibility"],
                join_policy=data["join_policy"],
                fields=list(data["fields"]),
                organisations=list(data["organisations"]),
            )
        except (ServiceError, ValidationError) as exc:
            _form_errors(form, exc)
        else:
            flash.success(request, _("Your working group is ready. Invite people from its members page."))
            return redirect(workgroup)
    return render(request, "workgroups/group_form.html", {"form": form, "creating": True})


@login_required
def group_edit(request, slug):
    workgroup = selectors.workgroup_get_visible(user=request.user, slug=slug)
    if not selectors.can(request.user, permissions.MANAGE, workgroup):
        raise PermissionDenied(_("Only the group's owners can change it."))
    form = WorkgroupForm(request.POST or None, instance=workgroup, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        workgroup.refresh_from_db()
        try:
            services.workgroup_update(
                actor=request.user,
                workgroup=workgroup,
                fields=list(data["fields"]),
                organisations=list(data["organisations"]),
                **{k: data[k] for k in ("name", "description", "visibility", "join_policy")},
            )
        except (ServiceError, ValidationError) as exc:
            _form_errors(form, exc)
        else:
            flash.success(request, _("Saved."))
            return redirect(workgroup)
    context = group_context(request, workgroup, "settings")
    context.update(form=form)
    return render(request, "workgroups/group_form.html", context)


@login_required
def group_detail(request, slug):
    workgroup = selectors.workgroup_get_visible(user=request.user, slug=slug)
    context = group_context(request, workgroup, "about")
    context["fields"] = workgroup.fields.all()
    context["organisations"] = workgroup.organisations.all()
    if context["can_read"]:
        context["members"] = list(
            selectors.members_visible(user=request.user, workgroup=workgroup).filter(status=Membership.Status.ACTIVE)[:12]
        )
        context["activity"] = _recent_activity(request.user, workgroup)
    return render(request, "workgroups/group_detail.html", context)


def _recent_activity(user, workgroup):
    """The latest discussions, documents and upcoming meetings, read through their own selectors."""
    activity = {}
    try:
        from workgroups import threads

        activity["threads"] = list(threads.threads_visible(user=user, workgroup=workgroup)[:5])
    except (ImportError, AttributeError):
        activity["threads"] = []
    try:
        from workgroups import documents

        activity["documents"] = list(documents.documents_visible(user=user, workgroup=workgroup)[:5])
    except (ImportError, AttributeError):
        activity["documents"] = []
    try:
        from django.utils import timezone

        from workgroups import meetings

        activity["meetings"] = list(
            meetings.meetings_visible(user=user, workgroup=workgroup).filter(ends_at__gte=timezone.now(), cancelled_at__isnull=True)[:3]
        )
    except (ImportError, AttributeError):
        activity["meetings"] = []
    return activity


@login_required
def group_join(request, slug):
    workgroup = selectors.workgroup_get_visible(user=request.user, slug=slug)
    form = JoinRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals_shown(request) as outcome:
            membership = services.workgroup_join(actor=request.user, workgroup=workgroup, message=form.cleaned_data["message"])
        if not outcome.refused:
            if membership.status == Membership.Status.ACTIVE:
                flash.success(request, _("Welcome to %(group)s.") % {"group": workgroup.name})
            else:
                flash.success(request, _("Your request was sent to the moderators."))
        return redirect(workgroup)
    context = group_context(request, workgroup, "about")
    context["form"] = form
    return render(request, "workgroups/join.html", context)


@login_required
@require_POST
def group_leave(request, slug):
    workgroup = selectors.workgroup_get_visible(user=request.user, slug=slug)
    with refusals_shown(request) as outcome:
        services.workgroup_leave(actor=request.user, workgroup=workgroup)
    if not outcome.refused:
        flash.success(request, _("You left %(group)s.") % {"group": workgroup.name})
    try:
        return redirect(selectors.workgroup_get_visible(user=request.user, slug=slug))
    except Http404:
        return redirect("workgroups:mine")  # a secret group is gone from view once left


@login_required
def group_members(request, slug):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    context = group_context(request, workgroup, "members")
    members = list(selectors.members_visible(user=request.user, workgroup=workgroup))
    context.update(
        active=[m for m in members if m.status == Membership.Status.ACTIVE],
        pending=[m for m in members if m.status == Membership.Status.PENDING],
        invited=[m for m in members if m.status == Membership.Status.INVITED],
        open_invitations=EmailInvitation.objects.filter(workgroup=workgroup, accepted_at__isnull=True)
        if context["can_moderate"]
        else [],
        invite_form=InviteForm(),
        roles=Membership.Role.choices,
    )
    return render(request, "workgroups/members.html", context)


@login_required
@require_POST
def member_action(request, slug, user_id, action):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    with refusals_shown(request) as outcome:
        if action == "approve":
            services.membership_approve(actor=request.user, workgroup=workgroup, user_id=user_id)
        elif action == "decline":
            services.membership_decline(actor=request.user, workgroup=workgroup, user_id=user_id)
        elif action == "remove":
            services.membership_remove(actor=request.user, workgroup=workgroup, user_id=user_id)
        elif action == "role":
            form = RoleForm(request.POST)
            if not form.is_valid():
                raise ServiceError(_("Choose a role."))
            services.membership_set_role(actor=request.user, workgroup=workgroup, user_id=user_id, role=form.cleaned_data["role"])
        else:
            raise Http404
    if not outcome.refused:
        flash.success(request, _("Done."))
    return redirect("workgroups:members", slug=workgroup.slug)


@login_required
@require_POST
def group_invite(request, slug):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    form = InviteForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("Enter a valid email address."))
    else:
        with refusals_shown(request) as outcome:
            result = services.invite_email(actor=request.user, workgroup=workgroup, email=form.cleaned_data["email"])
        if not outcome.refused:
            if isinstance(result, Membership):
                flash.success(request, _("%(user)s is invited.") % {"user": result.user})
            else:
                flash.success(request, _("An invitation was emailed to %(email)s.") % {"email": result.email})
    return redirect("workgroups:members", slug=workgroup.slug)


@login_required
def group_announce(request, slug):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    if not selectors.can(request.user, permissions.MODERATE, workgroup):
        raise PermissionDenied(_("Only the group's moderators make announcements."))
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals_shown(request) as outcome:
            count = services.announcement_send(actor=request.user, workgroup=workgroup, **form.cleaned_data)
        if not outcome.refused:
            flash.success(request, _("Announcement sent to %(n)d members.") % {"n": count})
            return redirect(workgroup)
    context = group_context(request, workgroup, "about")
    context["form"] = form
    return render(request, "workgroups/announce.html", context)


@login_required
def group_chat(request, slug):
    """The group's live chat: its conversation, for active members only."""
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    if not selectors.can(request.user, permissions.PARTICIPATE, workgroup) or not workgroup.conversation_id:
        raise Http404
    return redirect("messaging:conversation", conversation_id=workgroup.conversation_id)


def invitation_landing(request, token):
    """Where an emailed invitation leads: sign up with the invited address, or accept."""
    invitation = get_object_or_404(EmailInvitation.objects.select_related("workgroup"), token=token)
    if invitation.accepted_at is None and request.user.is_authenticated and request.user.email.lower() == invitation.email.lower():
        services.invitations_complete(user=request.user)
    if request.user.is_authenticated:
        return redirect("workgroups:mine")
    return render(
        request,
        "workgroups/invitation.html",
        {"invitation": invitation, "known": User.objects.filter(email__iexact=invitation.email).exists()},
    )
