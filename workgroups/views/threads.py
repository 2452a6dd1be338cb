"""Discussion pages of a group: the list, a thread with its replies, and their forms.

Every write is a plain form post, so the pages work without JavaScript. What
the user may not see is a 404 (from the selectors), what they see but may not
do a 403 (NotAllowed from the services); a state that forbids a change
(a locked thread) and bad input come back as messages on the page.
"""

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from community.errors import Conflict, NotAllowed, ServiceError
from workgroups import selectors, threads
from workgroups.views.common import group_context

MARKDOWN_HELP = gettext_lazy("Markdown: **bold**, _italic_, lists, links, `code`.")


class ThreadForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Title"),
        min_length=threads.TITLE_MIN,
        max_length=threads.TITLE_MAX,
        error_messages={
            "required": gettext_lazy("Give the discussion a title."),
            "min_length": gettext_lazy(
                "Give the discussion a title of at least %(limit_value)d characters."
            ),
        },
    )
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=threads.BODY_MAX,
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": gettext_lazy("Write a message.")},
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your reply"),
        max_length=threads.BODY_MAX,
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Write a reply.")},
    )


def _form_error(form: forms.Form, exc: ServiceError) -> None:
    """Puts a service's refusal on the field it concerns (the services name it in `code`)."""
    form.add_error(exc.code if exc.code in form.fields else None, exc.message)


def _participation_refusal(context: dict) -> str:
    """Why the viewer may not post in this group, in words for them."""
    membership = context["membership"]
    status = getattr(membership, "status", None)
    if status == "pending":
        return _(
            "Your request to join is waiting for a moderator: you can post once you are a member."
        )
    if status == "invited":
        return _("Accept the invitation to join the group and take part in its discussions.")
    return _("Only members of the group take part in its discussions: join it to post.")


def _access(context: dict) -> threads.Access:
    """The viewer's rights, as `group_context` already checked them."""
    return threads.Access(
        read=context["can_read"],
        participate=context["can_participate"],
        moderate=context["can_moderate"],
    )


def _thread_or_404(request, slug, thread_id):
    """The group, the viewer's rights in it, and the thread, or 404 for whatever the viewer may not see."""
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    context = group_context(request, workgroup, "discussions")
    access = _access(context)
    thread = threads.thread_get_visible(
        user=request.user, workgroup=workgroup, thread_id=thread_id, access=access
    )
    return context | {"thread": thread, "access": access}, thread


@login_required
def thread_list(request, slug):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    context = group_context(request, workgroup, "discussions")
    qs = threads.threads_visible(
        user=request.user, workgroup=workgroup, access=_access(context)
    ).defer("body", "body_html")
    page = Paginator(qs, threads.THREADS_PER_PAGE).get_page(request.GET.get("page"))
    context |= {
        "page": page,
        "post_refusal": "" if context["can_participate"] else _participation_refusal(context),
    }
    return render(request, "workgroups/threads/list.html", context)


@login_required
def thread_create(request, slug):
    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    context = group_context(request, workgroup, "discussions")
    if not context["can_participate"]:
        raise NotAllowed(_participation_refusal(context))
    form = ThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = threads.thread_create(
                actor=request.user, workgroup=workgroup, **form.cleaned_data
            )
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash.success(request, _("Your discussion is started; you follow it."))
            return redirect(threads.thread_url(thread))
    return render(
        request, "workgroups/threads/form.html", context | {"form": form, "creating": True}
    )


def _thread_page(
    request, context, *, reply_form=None, refused: str = "", last_page=False, status=200
):
    user, thread, access = request.user, context["thread"], context["access"]
    paginator = Paginator(
        threads.replies_visible(user=user, thread=thread, access=access), threads.REPLIES_PER_PAGE
    )
    page = paginator.get_page(paginator.num_pages if last_page else request.GET.get("page"))
    for reply in page.object_list:
        reply.can_edit = threads.may_edit(user, reply, thread, access)
        reply.can_delete = threads.may_delete(user, reply)
    if not access.participate:
        reply_refusal = _participation_refusal(context)
    elif thread.locked and not access.moderate:
        reply_refusal = _("This discussion is locked: it takes no new replies.")
    else:
        reply_refusal = ""
    context |= {
        "page": page,
        "reply_form": reply_form or ReplyForm(),
        "reply_refusal": reply_refusal,
        "refused": refused,
        "can_edit_thread": threads.may_edit(user, thread, thread, access),
        "can_delete_thread": threads.may_delete(user, thread),
    }
    return render(request, "workgroups/threads/detail.html", context, status=status)


@login_required
def thread_detail(request, slug, thread_id):
    context, _thread = _thread_or_404(request, slug, thread_id)
    return _thread_page(request, context)


@login_required
@require_POST
def thread_reply(request, slug, thread_id):
    context, thread = _thread_or_404(request, slug, thread_id)
    form = ReplyForm(request.POST)
    try:
        # Refusals first: someone who may not reply learns that, not what was wrong with the text.
        threads.check_can_reply(actor=request.user, thread=thread, access=context["access"])
        if form.is_valid():
            reply = threads.reply_create(
                actor=request.user, thread=thread, body=form.cleaned_data["body"]
            )
            flash.success(request, _("Your reply is posted."))
            return redirect(threads.reply_url(reply))
    except Conflict as exc:
        # Locked, perhaps while they wrote: the page says so and keeps their text.
        return _thread_page(
            request, context, reply_form=form, refused=exc.message, last_page=True, status=409
        )
    except ServiceError as exc:
        _form_error(form, exc)
    return _thread_page(request, context, reply_form=form, last_page=True)


@login_required
def thread_edit(request, slug, thread_id):
    context, thread = _thread_or_404(request, slug, thread_id)
    try:
        threads.thread_check_edit(actor=request.user, thread=thread, access=context["access"])
    except Conflict as exc:
        flash.error(request, exc.message)
        return redirect(threads.thread_url(thread))
    form = ThreadForm(request.POST or None, initial={"title": thread.title, "body": thread.body})
    if request.method == "POST" and form.is_valid():
        try:
            thread = threads.thread_edit(actor=request.user, thread=thread, **form.cleaned_data)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash.success(request, _("Your changes are saved."))
            return redirect(threads.thread_url(thread))
    return render(
        request, "workgroups/threads/form.html", context | {"form": form, "thread": thread}
    )


THREAD_ACTIONS = {
    "pin": {"pinned": True},
    "unpin": {"pinned": False},
    "lock": {"locked": True},
    "unlock": {"locked": False},
    "hide": {"hidden": True},
    "unhide": {"hidden": False},
}


@login_required
@require_POST
def thread_action(request, slug, thread_id, action):
    context, thread = _thread_or_404(request, slug, thread_id)
    try:
        if action == "delete":
            threads.thread_delete(actor=request.user, thread=thread)
            flash.success(request, _("Your discussion is deleted."))
            return redirect("workgroups:threads", slug=thread.workgroup.slug)
        if action == "follow":
            threads.thread_follow(actor=request.user, thread=thread)
            flash.success(
                request, _("You follow this discussion: you are notified of new replies.")
            )
        elif action == "unfollow":
            threads.thread_unfollow(actor=request.user, thread=thread)
            flash.success(request, _("You no longer follow this discussion."))
        elif action in THREAD_ACTIONS:
            threads.thread_moderate(actor=request.user, thread=thread, **THREAD_ACTIONS[action])
            flash.success(request, _MODERATION_DONE[action]())
        else:
            raise Http404
    except ServiceError as exc:
        flash.error(request, exc.message)
    return redirect(threads.thread_url(thread))


_MODERATION_DONE = {
    "pin": lambda: _("Pinned: the discussion stays at the top of the list."),
    "unpin": lambda: _("Unpinned."),
    "lock": lambda: _("Locked: only moderators can reply now."),
    "unlock": lambda: _("Unlocked: members can reply again."),
    "hide": lambda: _("Hidden: only the group's moderators see this discussion now."),
    "unhide": lambda: _("Visible again to everyone who reads the group."),
}


def _reply_or_404(request, slug, thread_id, reply_id):
    context, thread = _thread_or_404(request, slug, thread_id)
    reply = threads.reply_get_visible(
        user=request.user, thread=thread, reply_id=reply_id, access=context["access"]
    )
    return context, reply


def _at_reply(request, reply, access=None):
    page = threads.reply_page_number(user=request.user, reply=reply, access=access)
    url = threads.thread_url(reply.thread)
    return redirect(f"{url}?page={page}#r{reply.pk}" if page > 1 else f"{url}#r{reply.pk}")


@login_required
def reply_link(request, slug, thread_id, reply_id):
    """Where notifications and the API point: the page of the thread that holds the reply."""
    context, reply = _reply_or_404(request, slug, thread_id, reply_id)
    return _at_reply(request, reply, context["access"])


@login_required
def reply_edit(request, slug, thread_id, reply_id):
    context, reply = _reply_or_404(request, slug, thread_id, reply_id)
    try:
        threads.reply_check_edit(actor=request.user, reply=reply, access=context["access"])
    except Conflict as exc:
        flash.error(request, exc.message)
        return _at_reply(request, reply)
    form = ReplyForm(request.POST or None, initial={"body": reply.body})
    if request.method == "POST" and form.is_valid():
        try:
            reply = threads.reply_edit(
                actor=request.user, reply=reply, body=form.cleaned_data["body"]
            )
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash.success(request, _("Your changes are saved."))
            return _at_reply(request, reply)
    return render(
        request, "workgroups/threads/reply_form.html", context | {"form": form, "reply": reply}
    )


@login_required
@require_POST
def reply_action(request, slug, thread_id, reply_id, action):
    _context, reply = _reply_or_404(request, slug, thread_id, reply_id)
    try:
        if action == "delete":
            reply = threads.reply_delete(actor=request.user, reply=reply)
            flash.success(request, _("Your reply is deleted."))
        elif action in ("hide", "unhide"):
            reply = threads.reply_hide(actor=request.user, reply=reply, hidden=action == "hide")
            flash.success(
                request,
                _("Hidden: only moderators see this reply now.")
                if reply.hidden
                else _("The reply is visible again."),
            )
        else:
            raise Http404
    except ServiceError as exc:
        flash.error(request, exc.message)
    return _at_reply(request, reply)
