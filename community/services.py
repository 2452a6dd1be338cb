"""Every write to users, organisations and memberships: check, change, publish."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from community import permissions, search
from community.errors import Conflict, NotAllowed, ServiceError
from community.mail import email_user_on_commit
from community.models import (
    ClaimRequest,
    Field,
    Organisation,
    OrganisationMembership,
    Stage,
    User,
)
from community.selectors import user_has_verified_email
from community.text import domain_matches, fold

Role = OrganisationMembership.Role

ORGANISATION_EDITABLE = (
    "name",
    "kind",
    "country",
    "city",
    "latitude",
    "longitude",
    "website",
    "description",
    "offers",
    "size_band",
    "logo",
)
PROFILE_EDITABLE = (
    "display_name",
    "job_title",
    "avatar",
    "bio",
    "language",
    "time_zone",
    "profile_visibility",
)


# Users


@transaction.atomic
def user_profile_update(*, actor: User, user: User, interests: Iterable[Field] | None = None, **changes) -> User:
    if actor.pk != user.pk:
        raise NotAllowed(_("You can only edit your own profile."))
    unknown = set(changes) - set(PROFILE_EDITABLE)
    if unknown:
        raise ServiceError(_("These profile fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    if interests is not None:
        user.interests.set(interests)
    return user


# Organisations


def unique_slug(name: str, taken: set[str] | None = None) -> str:
    """A slug for `name` not used yet; `taken` lets bulk imports skip the query."""
    base = slugify(fold(name))[:100].strip("-") or "organisation"
    candidate, n = base, 1
    while True:
        exists = (candidate in taken) if taken is not None else Organisation.objects.filter(slug=candidate).exists()
        if not exists:
            return candidate
        n += 1
        candidate = f"{base}-{n}"


def _grant_admin(user: User, organisation: Organisation) -> None:
    permissions.grant(user, permissions.ORGANISATION_ADMIN_PERMS, organisation)


def _revoke_admin(user: User, organisation: Organisation) -> None:
    permissions.revoke(user, permissions.ORGANISATION_ADMIN_PERMS, organisation)


@transaction.atomic
def organisation_create(
    *,
    creator: User,
    name: str,
    country: str,
    kind: str = Organisation.Kind.COMPANY,
    stages: Iterable[Stage] = (),
    fields: Iterable[Field] = (),
    **attributes,
) -> Organisation:
    """Creates an organisation; its creator becomes its first admin."""
    if not creator.is_authenticated:
        raise NotAllowed(_("Sign in to add an organisation."))
    unknown = set(attributes) - set(ORGANISATION_EDITABLE)
    if unknown:
        raise ServiceError(_("Unknown organisation fields: %s") % ", ".join(sorted(unknown)))
    organisation = Organisation(
        name=name.strip(),
        country=country,
        kind=kind,
        slug=unique_slug(name),
        claimed=True,
        claimed_at=timezone.now(),
        source="member",
        **attributes,
    )
    organisation.full_clean(exclude=["slug"])
    _raise_if_duplicate(organisation)
    organisation.save()
    organisation.stages.set(stages)
    organisation.fields.set(fields)
    OrganisationMembership.objects.create(user=creator, organisation=organisation, role=Role.ADMIN)
    _grant_admin(creator, organisation)
    search.index(Organisation.objects.filter(pk=organisation.pk))
    return organisation


def _raise_if_duplicate(organisation: Organisation) -> None:
    from community.text import normalise_name, website_domain

    others = Organisation.objects.exclude(pk=organisation.pk)
    domain = website_domain(organisation.website)
    name_key = normalise_name(organisation.name)
    same = others.filter(normalised_name=name_key, country=organisation.country) if name_key else others.none()
    if domain:
        same = same | others.filter(website_domain=domain)
    existing = same.only("name", "slug").first()
    if existing:
        raise Conflict(
            _("%(name)s is already in the directory; claim it instead of adding it again.")
            % {"name": existing.name},
            code="duplicate",
        )


@transaction.atomic
def organisation_update(
    *,
    actor: User,
    organisation: Organisation,
    stages: Iterable[Stage] | None = None,
    fields: Iterable[Field] | None = None,
    **changes,
) -> Organisation:
    if not permissions.has(actor, "community.change_organisation", organisation):
        raise NotAllowed(_("Only the organisation's admins can edit it."))
    unknown = set(changes) - set(ORGANISATION_EDITABLE)
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    for name, value in changes.items():
        setattr(organisation, name, value)
    organisation.full_clean()
    if {"name", "country", "website"} & set(changes):
        _raise_if_duplicate(organisation)
    organisation.save()
    if stages is not None:
        organisation.stages.set(stages)
    if fields is not None:
        organisation.fields.set(fields)
    search.index(Organisation.objects.filter(pk=organisation.pk))
    return organisation


@transaction.atomic
def organisation_set_verified(*, actor: User, organisation: Organisation, verified: bool) -> Organisation:
    if not (actor.is_active and actor.is_staff and actor.has_perm("community.change_organisation")):
        raise NotAllowed(_("Only platform admins verify organisations."))
    Organisation.objects.filter(pk=organisation.pk).update(verified=verified)
    search.directory_changed()
    organisation.verified = verified
    return organisation


# Members


def _require_manager(actor: User, organisation: Organisation) -> None:
    if not permissions.has(actor, "community.manage_organisation_members", organisation):
        raise NotAllowed(_("Only the organisation's admins can manage its members."))


def _lock_memberships(organisation: Organisation) -> list[OrganisationMembership]:
    # Locks the organisation's row first so that two admins demoting each other
    # at once cannot leave it without an admin.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    return list(OrganisationMembership.objects.filter(organisation=organisation))


def _admin_count(memberships: list[OrganisationMembership]) -> int:
    return sum(1 for m in memberships if m.role == Role.ADMIN)


@transaction.atomic
def organisation_member_add(
    *, actor: User, organisation: Organisation, user: User, role: str = Role.MEMBER
) -> OrganisationMembership:
    _require_manager(actor, organisation)
    if role not in Role.values:
        raise ServiceError(_("Unknown role."))
    if not user.is_active:
        raise ServiceError(_("This account is not active."))
    try:
        with transaction.atomic():
            membership = OrganisationMembership.objects.create(user=user, organisation=organisation, role=role)
    except IntegrityError:
        raise Conflict(_("%(user)s is already a member.") % {"user": user}, code="already_member") from None
    if role == Role.ADMIN:
        _grant_admin(user, organisation)
    return membership


@transaction.atomic
def organisation_member_set_role(
    *, actor: User, organisation: Organisation, user: User, role: str
) -> OrganisationMembership:
    _require_manager(actor, organisation)
    if role not in Role.values:
        raise ServiceError(_("Unknown role."))
    memberships = _lock_memberships(organisation)
    membership = next((m for m in memberships if m.user_id == user.pk), None)
    if membership is None:
        raise ServiceError(_("%(user)s is not a member.") % {"user": user}, code="not_member")
    if membership.role == role:
        return membership
    if membership.role == Role.ADMIN and _admin_count(memberships) == 1:
        raise Conflict(_("An organisation keeps at least one admin: promote someone else first."))
    membership.role = role
    membership.save(update_fields=["role"])
    if role == Role.ADMIN:
        _grant_admin(user, organisation)
    else:
        _revoke_admin(user, organisation)
    return membership


@transaction.atomic
def organisation_member_remove(*, actor: User, organisation: Organisation, user: User) -> None:
    if actor.pk != user.pk:
        _require_manager(actor, organisation)
    memberships = _lock_memberships(organisation)
    membership = next((m for m in memberships if m.user_id == user.pk), None)
    if membership is None:
        raise ServiceError(_("%(user)s is not a member.") % {"user": user}, code="not_member")
    others = [m for m in memberships if m.pk != membership.pk]
    if membership.role == Role.ADMIN and _admin_count(memberships) == 1 and others:
        raise Conflict(_("An organisation keeps at least one admin: promote someone else first."))
    membership.delete()
    _revoke_admin(user, organisation)
    permissions.revoke(user, ["community.publish_calls"], organisation)
    if not others:
        # Nobody is left to look after it: anyone may claim it again.
        Organisation.objects.filter(pk=organisation.pk).update(claimed=False, claimed_at=None)
        search.directory_changed()


def organisation_leave(*, actor: User, organisation: Organisation) -> None:
    organisation_member_remove(actor=actor, organisation=organisation, user=actor)


@transaction.atomic
def membership_set_listed(*, actor: User, membership: OrganisationMembership, listed: bool) -> None:
    if actor.pk != membership.user_id:
        raise NotAllowed(_("Only the member decides whether they are listed."))
    OrganisationMembership.objects.filter(pk=membership.pk).update(listed=listed)


# Claims


@transaction.atomic
def organisation_claim(*, actor: User, organisation: Organisation, message: str = "") -> ClaimRequest | OrganisationMembership:
    """Claims an unclaimed organisation.

    A verified email on the organisation's website domain claims it at once
    (the membership is returned); anyone else files a request that a platform
    admin decides (the request is returned).
    """
    if not actor.is_authenticated:
        raise NotAllowed(_("Sign in to claim an organisation."))
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.claimed:
        raise Conflict(_("This organisation is already managed by its members."), code="already_claimed")
    if not user_has_verified_email(actor):
        raise NotAllowed(_("Verify your email address before claiming an organisation."))
    if organisation.website_domain and domain_matches(actor.email_domain, organisation.website_domain):
        return _claim_grant(organisation=organisation, user=actor)
    if ClaimRequest.objects.filter(organisation=organisation, user=actor, status=ClaimRequest.Status.PENDING).exists():
        raise Conflict(_("Your claim is already waiting for a decision."), code="already_requested")
    return ClaimRequest.objects.create(organisation=organisation, user=actor, message=message[:2000])


def _claim_grant(*, organisation: Organisation, user: User) -> OrganisationMembership:
    # Caller holds the organisation's row lock.
    membership, _created = OrganisationMembership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": Role.ADMIN}
    )
    _grant_admin(user, organisation)
    organisation.claimed = True
    organisation.claimed_at = timezone.now()
    organisation.save(update_fields=["claimed", "claimed_at"])
    search.directory_changed()
    return membership


def _require_platform_admin(actor: User) -> None:
    if not (actor.is_active and actor.is_staff and actor.has_perm("community.change_claimrequest")):
        raise NotAllowed(_("Only platform admins decide claims."))


@transaction.atomic
def claim_request_approve(*, actor: User, claim: ClaimRequest) -> ClaimRequest:
    _require_platform_admin(actor)
    claim = ClaimRequest.objects.select_for_update().select_related("organisation", "user").get(pk=claim.pk)
    if claim.status != ClaimRequest.Status.PENDING:
        raise Conflict(_("This claim has already been decided."))
    organisation = Organisation.objects.select_for_update().get(pk=claim.organisation_id)
    if organisation.claimed:
        raise Conflict(_("This organisation has been claimed meanwhile."))
    _claim_grant(organisation=organisation, user=claim.user)
    now = timezone.now()
    claim.status, claim.decided_at, claim.decided_by = ClaimRequest.Status.APPROVED, now, actor
    claim.save(update_fields=["status", "decided_at", "decided_by"])
    ClaimRequest.objects.filter(organisation=organisation, status=ClaimRequest.Status.PENDING).update(
        status=ClaimRequest.Status.DECLINED, decided_at=now, decided_by=actor
    )
    _email_claim_decision(claim)
    return claim


@transaction.atomic
def claim_request_decline(*, actor: User, claim: ClaimRequest) -> ClaimRequest:
    _require_platform_admin(actor)
    claim = ClaimRequest.objects.select_for_update().select_related("organisation", "user").get(pk=claim.pk)
    if claim.status != ClaimRequest.Status.PENDING:
        raise Conflict(_("This claim has already been decided."))
    claim.status, claim.decided_at, claim.decided_by = ClaimRequest.Status.DECLINED, timezone.now(), actor
    claim.save(update_fields=["status", "decided_at", "decided_by"])
    _email_claim_decision(claim)
    return claim


def _email_claim_decision(claim: ClaimRequest) -> None:
    email_user_on_commit(claim.user, template="community/email/claim_decided", context={"claim": claim})
