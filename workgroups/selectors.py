"""Every read of working groups that a person sees.

Who sees what (DESIGN.md): a public group is read whole by anyone signed in;
a members-only group shows its name, description, fields and member count to
everyone signed in, and its content to members; a secret group does not exist
for anyone but its members and the people invited to it. Members are those
holding the guardian permissions the services grant to active roles.
"""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from community import permissions as perms
from community.text import search_terms
from workgroups import permissions
from workgroups.models import Membership, Workgroup

V = Workgroup.Visibility


def _member_of(user) -> QuerySet:
    """Ids of the groups whose content `user` may read as an active member (guardian)."""
    return perms.visible_pks(user, permissions.VIEW, Workgroup)


def workgroup_list_visible(*, user, q: str = "", fields: list[str] | None = None) -> QuerySet[Workgroup]:
    if not user.is_authenticated:
        return Workgroup.objects.none()
    invited = Membership.objects.filter(user=user, status=Membership.Status.INVITED).values("workgroup_id")
    qs = Workgroup.objects.filter(
        Q(visibility__in=[V.PUBLIC, V.MEMBERS]) | Q(pk__in=_member_of(user)) | Q(pk__in=invited)
    )
    for term in search_terms(q):
        qs = qs.filter(search_document__contains=term)
    if fields:
        qs = qs.filter(pk__in=Workgroup.fields.through.objects.filter(field__slug__in=fields).values("workgroup_id"))
    return qs


def workgroup_cards(qs: QuerySet[Workgroup]) -> QuerySet[Workgroup]:
    from community.models import Field

    return qs.defer("search_document", "description_html").prefetch_related(
        Prefetch("fields", queryset=Field.objects.only("id", "slug", "name", "category", "position"))
    )


def workgroup_get_visible(*, user, slug: str) -> Workgroup:
    try:
        return workgroup_list_visible(user=user).get(slug=slug)
    except Workgroup.DoesNotExist:
        raise Http404 from None


def my_workgroups(*, user) -> QuerySet[Workgroup]:
    if not user.is_authenticated:
        return Workgroup.objects.none()
    return Workgroup.objects.filter(pk__in=_member_of(user)).order_by("-last_activity_at")


def membership_of(*, user, workgroup: Workgroup) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, workgroup=workgroup).first()


def can_read_content(user, workgroup: Workgroup) -> bool:
    """Discussions, documents, meetings and the chat history."""
    if not user.is_authenticated:
        return False
    if workgroup.visibility == V.PUBLIC:
        return True
    return perms.has(user, permissions.VIEW, workgroup)


def can(user, perm: str, workgroup: Workgroup) -> bool:
    return perms.has(user, perm, workgroup)


def content_or_404(*, user, slug: str) -> Workgroup:
    """The group, if `user` may read its content; a refusal looks like a missing group."""
    workgroup = workgroup_get_visible(user=user, slug=slug)
    if not can_read_content(user, workgroup):
        raise Http404
    return workgroup


def members_visible(*, user, workgroup: Workgroup) -> QuerySet[Membership]:
    """Active members for whoever reads the content; moderators also see who waits or is invited."""
    if not can_read_content(user, workgroup):
        return Membership.objects.none()
    qs = Membership.objects.filter(workgroup=workgroup).select_related("user")
    if not perms.has(user, permissions.MODERATE, workgroup):
        qs = qs.filter(status=Membership.Status.ACTIVE)
    return qs.order_by("status", "role", "user__display_name", "user__email")


def active_member_ids(workgroup_id: int) -> list[int]:
    return list(
        Membership.objects.filter(workgroup_id=workgroup_id, status=Membership.Status.ACTIVE).values_list("user_id", flat=True)
    )


def moderator_ids(workgroup_id: int) -> list[int]:
    return list(
        Membership.objects.filter(
            workgroup_id=workgroup_id,
            status=Membership.Status.ACTIVE,
            role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR],
        ).values_list("user_id", flat=True)
    )
