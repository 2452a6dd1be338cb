"""Inbox, conversation and notification pages; every write has a no-JavaScript form path."""

import uuid

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community import selectors as community_selectors
from community.errors import ServiceError
from community.models import User
from messaging import selectors, services
from messaging.models import MAX_BODY_CHARS


class refusals_shown:
    """Turns a service's refusal into a message on the next page; `.refused` tells whether one came."""

    def __init__(self, request):
        self.request = request
        self.refused = False

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, ServiceError):
            flash.error(self.request, exc.message)
        elif isinstance(exc, PermissionDenied):
            flash.error(self.request, str(exc))
        else:
            return False
        self.refused = True
        return True


def _people_label(conversation, me) -> str:
    """The title, else the others' names (aliases for sides under one: `people` is
    what selectors.with_people lets `me` see)."""
    if conversation.title:
        return conversation.title
    others = [str(p) for p in getattr(conversation, "people", []) if p.pk != me.pk and not p.includes_viewer]
    return ", ".join(others) or _("Just you")


@login_required
def inbox(request):
    conversations = selectors.with_people(selectors.inbox(user=request.user)[:200], viewer=request.user)
    for c in conversations:
        c.label = _people_label(c, request.user)
    q = request.GET.get("q", "").strip()[:200]
    results = selectors.message_search(user=request.user, q=q) if q else None
    return render(request, "messaging/inbox.html", {"conversations": conversations, "q": q, "results": results})


@login_required
def conversation(request, conversation_id):
    convo = selectors.conversation_get_visible(user=request.user, conversation_id=conversation_id)
    before = request.GET.get("before")
    try:
        before = int(before) if before else None
    except ValueError:
        before = None
    history, has_more = selectors.messages_before(user=request.user, conversation_id=convo.pk, before=before)
    if request.htmx and before:
        return render(request, "messaging/_history.html", {"history": history, "has_more": has_more, "conversation": convo})
    convo = selectors.with_people([convo], viewer=request.user)[0]
    convo.label = _people_label(convo, request.user)
    last_id = history[-1].pk if history else 0
    if last_id:
        services.conversation_mark_read(actor=request.user, conversation_id=convo.pk, up_to=last_id)
    context = {
        "conversation": convo,
        "history": history,
        "has_more": has_more,
        "last_id": last_id,
        "max_chars": MAX_BODY_CHARS,
        "new_client_id": uuid.uuid4(),
        "is_creator": convo.created_by_id == request.user.pk,
        # Real people only: a side under an alias offers no profile, block or remove.
        "others": [p for p in convo.people if p.pk is not None and p.pk != request.user.pk],
        "my_alias": next((p.alias for p in convo.people if p.includes_viewer), ""),
        "aliased_sides": [p for p in convo.people if p.alias and not p.includes_viewer],
    }
    return render(request, "messaging/conversation.html", context)


@login_required
@require_POST
def send(request, conversation_id):
    """The form path of message.send, for browsers without JavaScript or WebSocket."""
    with refusals_shown(request):
        services.message_send(
            actor=request.user,
            conversation_id=conversation_id,
            body=request.POST.get("body", ""),
            client_id=request.POST.get("client_id") or uuid.uuid4(),
        )
    return redirect("messaging:conversation", conversation_id=conversation_id)


@login_required
@require_POST
def message_action(request, conversation_id, message_id, action):
    selectors.conversation_get_visible(user=request.user, conversation_id=conversation_id)
    with refusals_shown(request):
        if action == "edit":
            services.message_edit(actor=request.user, message_id=message_id, body=request.POST.get("body", ""))
        elif action == "delete":
            services.message_delete(actor=request.user, message_id=message_id)
        elif action == "report":
            services.message_report(actor=request.user, message_id=message_id, reason=request.POST.get("reason", ""))
            flash.success(request, _("Thank you: the moderators will look at this message."))
        else:
            raise Http404
    return redirect("messaging:conversation", conversation_id=conversation_id)


@login_required
@require_POST
def start(request):
    """Starts (or reopens) a conversation with the people posted as `user`."""
    ids = [int(v) for v in request.POST.getlist("user") if v.isdigit()][:49]
    visible = User.objects.filter(community_selectors.profile_visible_q(request.user), pk__in=ids)
    people = list(visible)
    if not people or len(people) != len(set(ids)):
        raise Http404
    with refusals_shown(request) as outcome:
        convo, _created = services.conversation_start(actor=request.user, participants=people, title=request.POST.get("title", ""))
    if outcome.refused:
        return redirect("messaging:inbox")
    return redirect("messaging:conversation", conversation_id=convo.pk)


@login_required
@require_POST
def contact_organisation(request, slug):
    organisation = community_selectors.organisation_get_visible(viewer=request.user, slug=slug)
    with refusals_shown(request) as outcome:
        convo, _created = services.conversation_contact_organisation(actor=request.user, organisation=organisation)
    if outcome.refused:
        return redirect(organisation)
    return redirect("messaging:conversation", conversation_id=convo.pk)


@login_required
@require_POST
def participants(request, conversation_id):
    """Add (by email) or remove people in a group conversation; leave it."""
    action = request.POST.get("action")
    with refusals_shown(request):
        if action == "leave":
            services.conversation_participant_remove(actor=request.user, conversation_id=conversation_id, user=request.user)
            flash.success(request, _("You left the conversation."))
            return redirect("messaging:inbox")
        if action == "add":
            email = request.POST.get("email", "").strip()
            user = User.objects.filter(community_selectors.profile_visible_q(request.user), email__iexact=email).first()
            if user is None:
                flash.error(request, _("No member with this email address."))
            else:
                services.conversation_participant_add(actor=request.user, conversation_id=conversation_id, user=user)
        elif action == "remove":
            user = get_object_or_404(User, pk=request.POST.get("user"))
            services.conversation_participant_remove(actor=request.user, conversation_id=conversation_id, user=user)
        elif action == "rename":
            services.conversation_rename(actor=request.user, conversation_id=conversation_id, title=request.POST.get("title", ""))
    return redirect("messaging:conversation", conversation_id=conversation_id)


@login_required
@require_POST
def block(request, user_id):
    user = get_object_or_404(User, pk=user_id)
    if request.POST.get("action") == "unblock":
        services.user_unblock(actor=request.user, user=user)
        flash.success(request, _("%(user)s can message you again.") % {"user": user})
    else:
        with refusals_shown(request) as outcome:
            services.user_block(actor=request.user, user=user)
        if not outcome.refused:
            flash.success(request, _("%(user)s can no longer message you.") % {"user": user})
    return redirect(_safe_next(request, "messaging:inbox"))


@login_required
def notifications(request):
    page = Paginator(selectors.notifications_visible(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "messaging/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request):
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()] or None
    services.notifications_mark_read(actor=request.user, ids=ids)
    return redirect(_safe_next(request, "messaging:notifications"))


@login_required
def notification_preferences(request):
    from messaging.notifications import KINDS, Delivery, preference

    if request.method == "POST":
        chosen = {kind: request.POST.get(kind) for kind in KINDS if request.POST.get(kind)}
        with refusals_shown(request) as outcome:
            services.notification_preferences_update(actor=request.user, user=request.user, preferences=chosen)
        if not outcome.refused:
            flash.success(request, _("Your notification preferences are saved."))
            return redirect("messaging:notification-preferences")
    rows = [{"kind": k, "value": preference(request.user, k.key)} for k in KINDS.values()]
    return render(request, "messaging/notification_preferences.html", {"rows": rows, "choices": Delivery.choices})


def _safe_next(request, default: str):
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default

