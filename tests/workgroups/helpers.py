"""Groups with people in every role and status, built through the real services."""

from dataclasses import dataclass

from community.models import User
from tests.factories import UserFactory
from workgroups import services
from workgroups.models import Workgroup

ROLES = ("owner", "moderator", "member", "pending", "invited", "removed", "outsider")


@dataclass
class Cast:
    workgroup: Workgroup
    owner: User
    moderator: User
    member: User
    pending: User
    invited: User
    removed: User
    outsider: User

    def __getitem__(self, role: str) -> User:
        return getattr(self, role)


def group_with_cast(visibility: str = "members", name: str | None = None) -> Cast:
    """A group whose people hold every role and status, all set through the services.

    For a secret group the pending person cannot exist (nobody can ask to join
    what they cannot see): they are an outsider who once asked, before the group
    turned secret, and their request was cleared by the service.
    """
    owner = UserFactory(display_name="Olga Owner")
    workgroup = services.workgroup_create(
        creator=owner, name=name or f"Group {visibility} {owner.pk}", visibility="members", join_policy="request"
    )
    people = {role: UserFactory(display_name=f"{role.title()} Person") for role in ROLES if role != "owner"}
    for role in ("moderator", "member", "removed", "pending"):
        services.workgroup_join(actor=people[role], workgroup=workgroup, message=f"I am the {role}")
    for role in ("moderator", "member", "removed"):
        services.membership_approve(actor=owner, workgroup=workgroup, user_id=people[role].pk)
    services.membership_set_role(actor=owner, workgroup=workgroup, user_id=people["moderator"].pk, role="moderator")
    services.membership_remove(actor=owner, workgroup=workgroup, user_id=people["removed"].pk)
    services.invite_user(actor=owner, workgroup=workgroup, user=people["invited"])
    if visibility != "members":
        workgroup = services.workgroup_update(actor=owner, workgroup=workgroup, visibility=visibility)
    workgroup.refresh_from_db()
    return Cast(workgroup=workgroup, owner=owner, **people)
