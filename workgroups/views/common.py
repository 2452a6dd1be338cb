"""What every page of a group shows: its header, tabs and the viewer's rights."""

from workgroups import permissions, selectors
from workgroups.models import Workgroup


def group_context(request, workgroup: Workgroup, tab: str) -> dict:
    """The context `workgroups/_group_base.html` needs; views add their own keys to it."""
    user = request.user
    return {
        "workgroup": workgroup,
        "tab": tab,
        "membership": selectors.membership_of(user=user, workgroup=workgroup),
        "can_read": selectors.can_read_content(user, workgroup),
        "can_participate": selectors.can(user, permissions.PARTICIPATE, workgroup),
        "can_moderate": selectors.can(user, permissions.MODERATE, workgroup),
        "can_manage": selectors.can(user, permissions.MANAGE, workgroup),
    }


def placeholder(request, slug):
    """Stands in for a section until its views exist."""
    from django.shortcuts import render

    workgroup = selectors.content_or_404(user=request.user, slug=slug)
    return render(request, "workgroups/_group_base.html", group_context(request, workgroup, "about"))
