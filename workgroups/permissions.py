"""The working group's permissions, and which role holds which.

Only workgroups.services grant and revoke them (through community.permissions),
so the permission rows always match the active roles.
"""

from workgroups.models import Membership

VIEW = "workgroups.view_workgroup_content"
PARTICIPATE = "workgroups.participate_workgroup"
MODERATE = "workgroups.moderate_workgroup"
MANAGE = "workgroups.manage_workgroup"
ALL = (VIEW, PARTICIPATE, MODERATE, MANAGE)

ROLE_PERMS: dict[str, tuple[str, ...]] = {
    Membership.Role.OWNER: (VIEW, PARTICIPATE, MODERATE, MANAGE),
    Membership.Role.MODERATOR: (VIEW, PARTICIPATE, MODERATE),
    Membership.Role.MEMBER: (VIEW, PARTICIPATE),
}


def perms_for(membership: Membership | None) -> tuple[str, ...]:
    """What a membership holds: nothing until it is active."""
    if membership is None or membership.status != Membership.Status.ACTIVE:
        return ()
    return ROLE_PERMS[membership.role]
