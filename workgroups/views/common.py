"""What every page of a group shows: its header, tabs and the viewer's rights."""

from community import permissions as perms
from workgroups import permissions, selectors
from workgroups.models import Workgroup


def group_context(request, workgroup: Workgroup, tab: str) -> dict:
    """The context `workgroups/_group_base.html` needs; views add their own keys to it."""
    user = request.user

    def has(perm: str) -> bool:
        return perms.has(user, perm, workgroup)  # one query for all of them: the request's checker

    return {
        "workgroup": workgroup,
        "tab": tab,
        "membership": selectors.membership_of(user=user, workgroup=workgroup),
        "can_read": user.is_authenticated and (workgroup.visibility == workgroup.Visibility.PUBLIC or has(permissions.VIEW)),
        "can_participate": has(permissions.PARTICIPATE),
        "can_moderate": has(permissions.MODERATE),
        "can_manage": has(permissions.MANAGE),
    }


def placeholder(request, slug):
    """Stands in for a section until its views exist."""
    from django.shortcuts import render

    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    return render(request, "workgroups/_group_base.html", group_context(request, workgroup, "about"))
