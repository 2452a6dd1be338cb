"""Who may publish calls for an organisation and decide on their responses.

An organisation's admins may; so may the members its admins allow (guardian's
`community.publish_calls` on the organisation, granted by
`services.call_publisher_set`). Anyone in an organisation may respond for it.
"""

from community import permissions as perms
from community.models import Organisation, OrganisationMembership

PUBLISH = "community.publish_calls"
ADMIN = "community.change_organisation"


def can_manage_calls(user, organisation: Organisation) -> bool:
    return perms.has(user, ADMIN, organisation) or perms.has(user, PUBLISH, organisation)


def managed_organisation_ids(user) -> set[int]:
    """The organisations for which `user` publishes calls: two indexed reads of guardian's rows."""
    if not user.is_authenticated or not user.is_active:
        return set()
    ids = set(perms.held_pks(user, ADMIN, Organisation).values_list("object_id", flat=True))
    return ids | set(perms.held_pks(user, PUBLISH, Organisation).values_list("object_id", flat=True))


def member_organisation_ids(user) -> set[int]:
    if not user.is_authenticated or not user.is_active:
        return set()
    return set(OrganisationMembership.objects.filter(user=user).values_list("organisation_id", flat=True))
