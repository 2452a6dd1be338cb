"""Every write to calls, responses, partnerships and saved searches.

Rules (issue 5): only a call's managers (its organisation's admins, or the
members they allow) edit it and move its responses; only a member of the
responding organisation responds for it, once per call, before the deadline,
on a published call; moves follow `workflow`, and a refused move is a
Conflict (409) with the reason. A response's row is locked while it moves, so
two people accepting at once leave one partnership. An anonymous call's
organisation appears in nothing sent to responders until it accepts them.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import permissions as perms
from community.errors import Conflict, NotAllowed, ServiceError
from community.models import Field, Organisation, OrganisationMembership, Stage, User
from community.text import normalise_name
from messaging import markdown
from messaging.notifications import notify
from partnerships import permissions, workflow
from partnerships.models import (
    MAX_QUESTIONS,
    Call,
    CallCountry,
    Partnership,
    Response,
    ResponseEvent,
    SavedSearch,
)

S, R = Call.Status, Response.Status
EDITABLE = (
    "kind", "title", "summary", "description", "topic_reference", "deadline", "audience", "anonymous", "questions",
)
MIN_DEADLINE_MINUTES = 60
MAX_SAVED_SEARCHES = 20


# Who


def manager_ids(organisation_id: int) -> list[int]:
    """The people who publish calls for the organisation and decide on responses."""
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import UserObjectPermission

    ct = ContentType.objects.get_for_model(Organisation)
    return list(
        UserObjectPermission.objects.filter(
            content_type=ct,
            object_pk=str(organisation_id),
            permission__content_type=ct,
            permission__codename__in=("change_organisation", "publish_calls"),
            user__is_active=True,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def _responder_ids(response: Response) -> list[int]:
    """Who hears about a response's fate: its author, if still in the organisation, and the organisation's admins."""
    members = OrganisationMembership.objects.filter(organisation_id=response.organisation_id, user__is_active=True)
    ids = set(members.filter(role=OrganisationMembership.Role.ADMIN).values_list("user_id", flat=True))
    if response.created_by_id and members.filter(user_id=response.created_by_id).exists():
        ids.add(response.created_by_id)
    return sorted(ids)


def _notify_all(user_ids: Iterable[int], *, exclude: int | None = None, **kwargs) -> None:
    for user in User.objects.filter(pk__in=set(user_ids) - {exclude}, is_active=True):
        notify(recipient=user, **kwargs)


def call_label(call: Call) -> str:
    """How a call is named to people outside its organisation: never its organisation when anonymous."""
    return call.title if call.anonymous else f"{call.title} ({call.organisation.name})"


def _require_manager(actor: User, call_or_org) -> None:
    organisation = call_or_org.organisation if isinstance(call_or_org, Call) else call_or_org
    if not (actor.is_authenticated and actor.is_active and permissions.can_manage_calls(actor, organisation)):
        raise NotAllowed(_("Only the organisation's admins, and the members they allow, manage its calls."))


# Calls


def _clean_questions(questions) -> list[str]:
    if questions in (None, ""):
        return []
    if not isinstance(questions, list | tuple) or not all(isinstance(q, str) for q in questions):
        raise ServiceError(_("Questions are a list of texts."))
    questions = [q.strip() for q in questions if q.strip()]
    if len(questions) > MAX_QUESTIONS:
        raise ServiceError(_("Ask at most %(n)d questions.") % {"n": MAX_QUESTIONS})
    if any(len(q) > 300 for q in questions):
        raise ServiceError(_("Keep each question under 300 characters."))
    return questions


def _check_deadline(deadline) -> None:
    if not isinstance(deadline, datetime) or timezone.is_naive(deadline):
        raise ServiceError(_("Give the deadline as a date and time with its time zone."))
    if deadline <= timezone.now() + timezone.timedelta(minutes=MIN_DEADLINE_MINUTES):
        raise ServiceError(_("The deadline must be at least an hour from now."))
    if deadline > timezone.now() + timezone.timedelta(days=2 * 365):
        raise ServiceError(_("The deadline must be within two years."))


def _check_workgroups(actor: User, workgroups) -> list:
    from workgroups.models import Membership

    workgroups = list(workgroups or [])
    mine = set(
        Membership.objects.filter(user=actor, status=Membership.Status.ACTIVE, workgroup__in=workgroups).values_list(
            "workgroup_id", flat=True
        )
    )
    if any(w.pk not in mine for w in workgroups):
        raise NotAllowed(_("You can only address a call to working groups you are a member of."))
    return workgroups


def _countries(codes: Iterable[str]) -> list[str]:
    from community.countries import european_countries

    codes = sorted({str(c).upper() for c in codes or []})
    known = {code for code, _name in european_countries}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ServiceError(_("Unknown or non-European country codes: %s") % ", ".join(unknown))
    return codes


def _index(call: Call) -> None:
    parts = [
        call.title,
        call.summary,
        call.description,
        call.topic_reference,
        str(call.get_kind_display()),
        *call.stages.values_list("name", flat=True),
        *call.fields.values_list("name", flat=True),
        *call.country_rows.values_list("country", flat=True),
    ]
    if not call.anonymous:
        parts.append(call.organisation.name)  # searchable by name only when the name may be known
    Call.objects.filter(pk=call.pk).update(search_document=normalise_name(" ".join(p for p in parts if p)))


def _set_links(call: Call, *, stages=None, fields=None, countries=None, workgroups=None) -> None:
    if stages is not None:
        call.stages.set(stages)
    if fields is not None:
        call.fields.set(fields)
    if countries is not None:
        codes = _countries(countries)
        CallCountry.objects.filter(call=call).delete()
        CallCountry.objects.bulk_create([CallCountry(call=call, country=c) for c in codes])
        Call.objects.filter(pk=call.pk).update(all_europe=not codes)
        call.all_europe = not codes
    if workgroups is not None:
        call.workgroups.set(workgroups)


@transaction.atomic
def call_create(
    *,
    actor: User,
    organisation: Organisation,
    kind: str,
    title: str,
    summary: str,
    deadline,
    description: str = "",
    topic_reference: str = "",
    stages: Iterable[Stage] = (),
    fields: Iterable[Field] = (),
    countries: Iterable[str] = (),
    audience: str = Call.Audience.MEMBERS,
    workgroups: Iterable = (),
    anonymous: bool = False,
    questions: list[str] | None = None,
    publish: bool = False,
) -> Call:
    """A draft call of `organisation` (published at once with `publish`)."""
    _require_manager(actor, organisation)
    if kind not in Call.Kind.values:
        raise ServiceError(_("Unknown kind of call."))
    if audience not in Call.Audience.values:
        raise ServiceError(_("Unknown audience."))
    _check_deadline(deadline)
    workgroups = _check_workgroups(actor, workgroups)
    if audience == Call.Audience.GROUPS and not workgroups:
        raise ServiceError(_("Choose at least one working group, or address the call to every member."))
    call = Call(
        organisation=organisation,
        created_by=actor,
        kind=kind,
        title=(title or "").strip(),
        summary=(summary or "").strip(),
        description=(description or "").strip(),
        topic_reference=(topic_reference or "").strip(),
        deadline=deadline,
        audience=audience,
        anonymous=bool(anonymous),
        questions=_clean_questions(questions),
    )
    if len(call.title) < 5:
        raise ServiceError(_("Give the call a title of at least 5 characters."))
    if not call.summary:
        raise ServiceError(_("Give the call a summary."))
    call.description_html = markdown.render(call.description)
    call.full_clean(exclude=["organisation"])
    call.save()
    _set_links(call, stages=list(stages), fields=list(fields), countries=countries, workgroups=workgroups)
    _index(call)
    if publish:
        return call_publish(actor=actor, call=call)
    return call


def _lock(call: Call) -> Call:
    return Call.objects.select_for_update().select_related("organisation").get(pk=call.pk)


@transaction.atomic
def call_update(
    *, actor: User, call: Call, stages=None, fields=None, countries=None, workgroups=None, **changes
) -> Call:
    """Changes a call that is not closed or expired (renew those first)."""
    _require_manager(actor, call)
    call = _lock(call)
    if call.status in (S.CLOSED, S.EXPIRED):
        raise Conflict(_("This call is %(status)s: renew it to change it.") % {"status": call.get_status_display().lower()})
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ServiceError(_("Unknown call fields: %s") % ", ".join(sorted(unknown)))
    if "deadline" in changes and changes["deadline"] != call.deadline:
        _check_deadline(changes["deadline"])
    if "kind" in changes and changes["kind"] not in Call.Kind.values:
        raise ServiceError(_("Unknown kind of call."))
    if "questions" in changes:
        changes["questions"] = _clean_questions(changes["questions"])
        if call.response_count and changes["questions"] != call.questions:
            raise Conflict(_("Responses have answered the questions already: they can no longer change."))
    if "anonymous" in changes and bool(changes["anonymous"]) != call.anonymous and call.status != S.DRAFT:
        # Unmasking is a reveal to everyone; masking after publication cannot take back what was read.
        raise Conflict(_("Whether a call is anonymous is decided before it is published."))
    for name, value in changes.items():
        setattr(call, name, value.strip() if isinstance(value, str) else value)
    if workgroups is not None:
        workgroups = _check_workgroups(actor, workgroups)
    audience_groups = workgroups if workgroups is not None else list(call.workgroups.all())
    if call.audience == Call.Audience.GROUPS and not audience_groups:
        raise ServiceError(_("Choose at least one working group, or address the call to every member."))
    if len(call.title) < 5 or not call.summary:
        raise ServiceError(_("A call needs a title of at least 5 characters and a summary."))
    call.description_html = markdown.render(call.description)
    call.full_clean(exclude=["organisation"])
    call.save()
    _set_links(call, stages=stages, fields=fields, countries=countries, workgroups=workgroups)
    _index(call)
    return call


def _review_required() -> bool:
    return getattr(settings, "PARTNERSHIPS_REVIEW_BEFORE_PUBLISHING", False)


@transaction.atomic
def call_publish(*, actor: User, call: Call) -> Call:
    """Draft -> published, or -> waiting for review when the platform reviews calls first."""
    _require_manager(actor, call)
    call = _lock(call)
    if call.status != S.DRAFT:
        raise Conflict(_("Only a draft can be published; this call is %(status)s.") % {"status": call.get_status_display().lower()})
    _check_deadline(call.deadline)
    if not (call.stages.exists() or call.fields.exists()):
        raise ServiceError(_("Choose at least one value-chain stage or field, so the right partners find the call."))
    if _review_required() and not actor.has_perm("partnerships.review_call"):
        call.status = S.REVIEW
        call.save(update_fields=["status", "updated_at"])
        reviewers = User.objects.filter(is_active=True, is_staff=True)
        url = reverse("partnerships:call-detail", kwargs={"pk": call.pk})
        _notify_all(
            [u.pk for u in reviewers if u.has_perm("partnerships.review_call")],
            kind="partnerships.review",
            title=_("A call waits for review: %(title)s") % {"title": call.title},
            url=url,
            actor=actor,
        )
        return call
    return _go_live(call)


def _go_live(call: Call) -> Call:
    call.status = S.PUBLISHED
    call.published_at = call.published_at or timezone.now()
    call.closed_at = None
    call.save(update_fields=["status", "published_at", "closed_at", "updated_at"])
    _schedule_expiry(call)
    call_id = call.pk
    transaction.on_commit(lambda: _enqueue_matching(call_id), robust=True)
    return call


def _enqueue_matching(call_id: int) -> None:
    from partnerships.tasks import notify_saved_searches

    notify_saved_searches.enqueue(call_id=call_id)


def _schedule_expiry(call: Call) -> None:
    from partnerships.tasks import expire_call

    if not expire_call.get_backend().supports_defer:
        return  # the sweep (expire_due_calls) and the deadline checks cover it
    call_id, deadline = call.pk, call.deadline
    transaction.on_commit(lambda: expire_call.using(run_after=deadline).enqueue(call_id=call_id), robust=True)


@transaction.atomic
def call_review(*, actor: User, call: Call, approve: bool, note: str = "") -> Call:
    """A platform reviewer publishes a call waiting for review, or sends it back to draft with a note."""
    if not (actor.is_active and actor.is_staff and actor.has_perm("partnerships.review_call")):
        raise NotAllowed(_("Only platform reviewers review calls."))
    call = _lock(call)
    if call.status != S.REVIEW:
        raise Conflict(_("This call is not waiting for review."))
    call.review_note = (note or "").strip()[:1000]
    if approve:
        call.save(update_fields=["review_note", "updated_at"])
        if call.deadline <= timezone.now():
            raise Conflict(_("The deadline has passed: the publisher must set a new one."))
        call = _go_live(call)
    else:
        call.status = S.DRAFT
        call.save(update_fields=["status", "review_note", "updated_at"])
    url = reverse("partnerships:call-detail", kwargs={"pk": call.pk})
    title = (
        _("Your call is published: %(title)s") if approve else _("Your call needs changes before publication: %(title)s")
    ) % {"title": call.title}
    _notify_all(manager_ids(call.organisation_id), kind="partnerships.reviewed", title=title, body=call.review_note, url=url, actor=actor)
    return call


@transaction.atomic
def call_close(*, actor: User, call: Call) -> Call:
    """Stops taking responses; the board stays open for decisions."""
    _require_manager(actor, call)
    call = _lock(call)
    if call.status != S.PUBLISHED:
        raise Conflict(_("Only a published call can be closed."))
    call.status, call.closed_at = S.CLOSED, timezone.now()
    call.save(update_fields=["status", "closed_at", "updated_at"])
    return call


@transaction.atomic
def call_renew(*, actor: User, call: Call, deadline) -> Call:
    """A closed or expired call published again with a new deadline (responses kept)."""
    _require_manager(actor, call)
    call = _lock(call)
    if call.status not in (S.CLOSED, S.EXPIRED) and not (call.status == S.PUBLISHED and call.deadline <= timezone.now()):
        raise Conflict(_("Only a closed or expired call can be renewed."))
    _check_deadline(deadline)
    call.deadline = deadline
    call.renewals += 1
    call.save(update_fields=["deadline", "renewals", "updated_at"])
    return _go_live(call) if not _review_required() or actor.has_perm("partnerships.review_call") else _to_review(call)


def _to_review(call: Call) -> Call:
    call.status = S.REVIEW
    call.save(update_fields=["status", "updated_at"])
    return call


@transaction.atomic
def call_delete(*, actor: User, call: Call) -> None:
    _require_manager(actor, call)
    call = _lock(call)
    if call.status not in (S.DRAFT, S.REVIEW):
        raise Conflict(_("A published call is closed, not deleted: its responses and history stay."))
    call.delete()


def expire_due_calls() -> int:
    """Published calls past their deadline become expired; their managers are told. Idempotent."""
    expired = 0
    due = Call.objects.filter(status=S.PUBLISHED, deadline__lte=timezone.now()).values_list("pk", flat=True)
    for pk in list(due):
        expired += expire_one(pk)
    return expired


@transaction.atomic
def expire_one(call_id: int) -> int:
    call = Call.objects.select_for_update().select_related("organisation").filter(pk=call_id).first()
    if call is None or call.status != S.PUBLISHED or call.deadline > timezone.now():
        return 0  # renewed, closed or deleted meanwhile
    call.status, call.closed_at = S.EXPIRED, call.deadline
    call.save(update_fields=["status", "closed_at", "updated_at"])
    _notify_all(
        manager_ids(call.organisation_id),
        kind="partnerships.expired",
        title=_("Your call reached its deadline: %(title)s (%(n)d responses)") % {"title": call.title, "n": call.response_count},
        url=reverse("partnerships:call-board", kwargs={"pk": call.pk}),
    )
    return 1


@transaction.atomic
def call_publisher_set(*, actor: User, organisation: Organisation, user: User, allowed: bool) -> None:
    """An admin allows a member of the organisation to publish calls and decide on responses, or stops it."""
    if not perms.has(actor, "community.manage_organisation_members", organisation):
        raise NotAllowed(_("Only the organisation's admins decide who publishes calls."))
    if not OrganisationMembership.objects.filter(organisation=organisation, user=user).exists():
        raise ServiceError(_("%(user)s is not a member of the organisation.") % {"user": user})
    if allowed:
        perms.grant(user, [permissions.PUBLISH], organisation)
    else:
        perms.revoke(user, [permissions.PUBLISH], organisation)


# Responses


def _clean_answers(call: Call, answers) -> list[str]:
    answers = answers or []
    if not isinstance(answers, list | tuple) or not all(isinstance(a, str) for a in answers):
        raise ServiceError(_("Answers are a list of texts, one per question."))
    answers = [a.strip() for a in answers]
    if len(answers) > len(call.questions):
        raise ServiceError(_("More answers than the call has questions."))
    answers += [""] * (len(call.questions) - len(answers))
    if any(not a for a in answers):
        raise ServiceError(_("Answer every question of the call."))
    if any(len(a) > 2000 for a in answers):
        raise ServiceError(_("Keep each answer under 2,000 characters."))
    return answers


@transaction.atomic
def response_create(*, actor: User, call: Call, organisation: Organisation, message: str, answers=None) -> Response:
    """`actor` responds for `organisation`, of which they must be a member; once per organisation and call."""
    from partnerships import selectors

    if not (actor.is_authenticated and actor.is_active):
        raise NotAllowed(_("Sign in to respond."))
    selectors.call_get_visible(actor, call.pk)  # 404 for a call the actor may not see
    if not OrganisationMembership.objects.filter(organisation=organisation, user=actor).exists():
        raise NotAllowed(_("You can respond only for an organisation you belong to."))
    call = _lock(call)
    if organisation.pk == call.organisation_id:
        raise ServiceError(_("An organisation does not respond to its own call."))
    if call.status != S.PUBLISHED:
        raise Conflict(_("This call is not open for responses (it is %(status)s).") % {"status": call.get_status_display().lower()})
    if call.deadline <= timezone.now():
        raise Conflict(_("The deadline of this call has passed."))
    message = (message or "").strip()
    if len(message) < 10:
        raise ServiceError(_("Write a message of at least 10 characters: what you offer and why."))
    if len(message) > 5000:
        raise ServiceError(_("Keep the message under 5,000 characters."))
    answers = _clean_answers(call, answers)
    if Response.objects.filter(call=call, organisation=organisation).exists():
        raise Conflict(_("%(org)s has already responded to this call.") % {"org": organisation.name})
    try:
        with transaction.atomic():
            response = Response.objects.create(call=call, organisation=organisation, created_by=actor, message=message, answers=answers)
    except IntegrityError:
        raise Conflict(_("%(org)s has already responded to this call.") % {"org": organisation.name}) from None
    ResponseEvent.objects.create(response=response, actor=actor, to_status=R.SUBMITTED)
    Call.objects.filter(pk=call.pk).update(response_count=call.response_count + 1)
    _notify_all(
        manager_ids(call.organisation_id),
        exclude=actor.pk,
        kind="partnerships.response",
        title=_("%(org)s responded to your call “%(title)s”") % {"org": organisation.name, "title": call.title},
        body=message[:300],
        url=reverse("partnerships:call-board", kwargs={"pk": call.pk}),
        actor=actor,
    )
    return response


@transaction.atomic
def response_move(*, actor: User, response: Response, status: str, note: str = "") -> Response:
    """Moves a response along the workflow; the row is locked, so concurrent moves see each other."""
    response = Response.objects.select_for_update().get(pk=response.pk)
    call = Call.objects.select_related("organisation").get(pk=response.call_id)
    as_owner = permissions.can_manage_calls(actor, call.organisation) if actor.is_active else False
    is_responder = OrganisationMembership.objects.filter(organisation_id=response.organisation_id, user=actor).exists()
    if status == R.WITHDRAWN:
        if not is_responder:
            raise NotAllowed(_("Only the responding organisation withdraws its response."))
        reason = workflow.why_not(response.status, status, as_owner=False)
    elif as_owner:
        reason = workflow.why_not(response.status, status, as_owner=True)
    elif is_responder:
        raise NotAllowed(_("A responder may only withdraw."))
    else:
        raise NotAllowed(_("Only the call's managers move its responses."))
    if reason:
        raise Conflict(reason)
    previous = response.status
    response.status = status
    if status == R.IN_DISCUSSION and response.conversation_id is None:
        response.conversation = _open_conversation(actor, call, response)
    response.save(update_fields=["status", "conversation", "updated_at"])
    ResponseEvent.objects.create(response=response, actor=actor, from_status=previous, to_status=status, note=(note or "")[:1000])
    if status == R.ACCEPTED:
        _record_partnership(call, response)
    _announce_move(actor, call, response)
    return response


def _open_conversation(actor: User, call: Call, response: Response):
    """A conversation between the two organisations' people; an anonymous call's side speaks under an alias."""
    from messaging import services as messaging

    call_side = [actor.pk] + ([call.created_by_id] if call.created_by_id and call.created_by_id in manager_ids(call.organisation_id) else [])
    responder_side = [response.created_by_id] if response.created_by_id else []
    responder_side += [u for u in _responder_ids(response) if u not in responder_side]
    responder_side = [u for u in responder_side if u not in call_side]
    alias = str(_("The publisher of the call")) if call.anonymous else ""
    title = _("Call “%(title)s” with %(org)s") % {"title": call.title, "org": response.organisation.name}
    return messaging.conversation_create_with_sides(
        title=title[:120], sides=[(sorted(set(call_side)), alias), (responder_side, "")]
    )


def _record_partnership(call: Call, response: Response) -> Partnership:
    partnership, _created = Partnership.objects.get_or_create(
        response=response,
        defaults={"call": call, "publisher_id": call.organisation_id, "partner_id": response.organisation_id},
    )
    if call.anonymous and response.conversation_id:
        from messaging import services as messaging

        messaging.conversation_reveal(conversation_id=response.conversation_id)
    return partnership


def _announce_move(actor: User, call: Call, response: Response) -> None:
    board = reverse("partnerships:call-board", kwargs={"pk": call.pk})
    mine = reverse("partnerships:call-detail", kwargs={"pk": call.pk})
    status_label = response.get_status_display().lower()
    if response.status == R.WITHDRAWN:
        _notify_all(
            manager_ids(call.organisation_id),
            kind="partnerships.withdrawn",
            title=_("%(org)s withdrew its response to “%(title)s”") % {"org": response.organisation.name, "title": call.title},
            url=board,
            actor=actor,
        )
        return
    # Accepted: the name is revealed to the responder, so it may be said.
    label = call.title if call.anonymous and response.status != R.ACCEPTED else call_label(call)
    _notify_all(
        _responder_ids(response),
        exclude=actor.pk,
        kind="partnerships.status",
        title=_("Your response to “%(call)s” is now %(status)s") % {"call": label, "status": status_label},
        url=mine,
        actor=None if call.anonymous and response.status != R.ACCEPTED else actor,
    )
    if response.status == R.ACCEPTED:
        _notify_all(
            manager_ids(call.organisation_id) + _responder_ids(response),
            kind="partnerships.partnership",
            title=_("Partnership recorded: %(a)s and %(b)s") % {"a": call.organisation.name, "b": response.organisation.name},
            body=_("Each side decides whether it is shown on its profile."),
            url=reverse("partnerships:partnerships"),
        )


# Partnerships


@transaction.atomic
def partnership_show(*, actor: User, partnership: Partnership, organisation: Organisation, shown: bool) -> Partnership:
    """An admin of one side agrees (or stops agreeing) to show the partnership; it is public when both do."""
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if organisation.pk not in (partnership.publisher_id, partnership.partner_id):
        raise NotAllowed(_("This partnership is not your organisation's."))
    if not perms.has(actor, "community.change_organisation", organisation):
        raise NotAllowed(_("Only the organisation's admins decide what its profile shows."))
    if organisation.pk == partnership.publisher_id:
        partnership.publisher_shows = bool(shown)
    if organisation.pk == partnership.partner_id:
        partnership.partner_shows = bool(shown)
    partnership.save(update_fields=["publisher_shows", "partner_shows"])
    return partnership


# Saved searches


def saved_search_create(*, actor: User, name: str, query: dict, notify: bool = True) -> SavedSearch:
    if not (actor.is_authenticated and actor.is_active):
        raise NotAllowed(_("Sign in to save a search."))
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Name the search."))
    query = _clean_saved_query(query)
    if SavedSearch.objects.filter(user=actor).count() >= MAX_SAVED_SEARCHES:
        raise Conflict(_("You have %(n)d saved searches, the most there can be: delete one first.") % {"n": MAX_SAVED_SEARCHES})
    return SavedSearch.objects.create(user=actor, name=name[:120], query=query, notify=bool(notify))


def _clean_saved_query(query) -> dict:
    """{"q": text, "kind"/"stage"/"field"/"country": [values]}, checked against the taxonomy."""
    from community.countries import european_countries

    if not isinstance(query, dict) or not query:
        raise ServiceError(_("A saved search needs at least one filter or search text."))
    unknown = set(query) - {"q", "kind", "stage", "field", "country"}
    if unknown:
        raise ServiceError(_("Unknown filters: %s") % ", ".join(sorted(map(str, unknown))))
    clean: dict = {}
    q = query.get("q", "")
    if not isinstance(q, str) or len(q) > 200:
        raise ServiceError(_("The search text must be a text of at most 200 characters."))
    if q.strip():
        clean["q"] = q.strip()
    known = {
        "kind": set(Call.Kind.values),
        "stage": set(Stage.objects.values_list("slug", flat=True)),
        "field": set(Field.objects.values_list("slug", flat=True)),
        "country": {code for code, _name in european_countries},
    }
    for name, allowed in known.items():
        values = query.get(name, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values) or len(values) > 50:
            raise ServiceError(_("“%(name)s” must be a list of values.") % {"name": name})
        values = [v.upper() if name == "country" else v for v in values]
        if set(values) - allowed:
            raise ServiceError(_("Unknown %(name)s: %(values)s") % {"name": name, "values": ", ".join(sorted(set(values) - allowed))})
        if values:
            clean[name] = sorted(set(values))
    if not clean:
        raise ServiceError(_("A saved search needs at least one filter or search text."))
    return clean


def saved_search_delete(*, actor: User, saved: SavedSearch) -> None:
    if saved.user_id != actor.pk:
        raise NotAllowed(_("This saved search is not yours."))
    saved.delete()


def notify_matching_searches(call_id: int) -> int:
    """Tells the owners of saved searches matching a newly published call; only people who may see it."""
    from partnerships import selectors

    call = Call.objects.select_related("organisation").filter(pk=call_id, status=S.PUBLISHED).first()
    if call is None:
        return 0
    sent = 0
    for saved in SavedSearch.objects.filter(notify=True).select_related("user").exclude(user__is_active=False):
        query = selectors.CallQuery(**{k: v for k, v in saved.query.items() if k in ("q", "kind", "stage", "field", "country")})
        viewer = selectors.Viewer(saved.user)  # read once for both checks
        if call.organisation_id in viewer.organisation_ids:
            continue  # one's own call is no news
        if not selectors.call_search(viewer, query).filter(pk=call.pk).exists():
            continue
        notify(
            recipient=saved.user,
            kind="partnerships.match",
            title=_("New call for “%(search)s”: %(title)s") % {"search": saved.name, "title": call_label(call)},
            body=call.summary,
            url=reverse("partnerships:call-detail", kwargs={"pk": call.pk}),
            group_key=f"call-match:{saved.pk}:{call.pk}",
        )
        sent += 1
    return sent
