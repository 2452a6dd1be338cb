"""The one module that talks to django-guardian; everything else asks it.

Services grant and revoke; selectors and views ask `visible`, `has` and
`get_visible_or_404`. Permission names are "<app_label>.<codename>".
"""

from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

M = TypeVar("M", bound=Model)

# Organisation admins hold these on their organisation.
ORGANISATION_ADMIN_PERMS = (
    "community.change_organisation",
    "community.manage_organisation_members",
)


def visible[M: Model](user, perm: str, qs: QuerySet[M]) -> QuerySet[M]:
    """The objects of `qs` on which `user` holds `perm` (none for anonymous users)."""
    if not user.is_authenticated:
        return qs.none()
    return get_objects_for_user(user, perm, klass=qs, accept_global_perms=False)


def get_visible_or_404[M: Model](user, perm: str, qs: QuerySet[M], **lookup) -> M:
    try:
        return visible(user, perm, qs).get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404 from None  # the same answer for "missing" and "not yours"


def has(user, perm: str, obj: Model) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm(perm, obj)


def grant(user, perms: Iterable[str], obj: Model) -> None:
    for perm in perms:
        assign_perm(perm, user, obj)


def revoke(user, perms: Iterable[str], obj: Model) -> None:
    for perm in perms:
        remove_perm(perm, user, obj)


def checker(user, objects: Iterable[Model]) -> ObjectPermissionChecker | None:
    """A checker with the permissions of `objects` prefetched: one query for a whole list."""
    if not user.is_authenticated:
        return None
    objects = list(objects)
    check = ObjectPermissionChecker(user)
    if objects:
        check.prefetch_perms(objects)
    return check


def checker_has(check: ObjectPermissionChecker | None, perm: str, obj: Model) -> bool:
    if check is None:
        return False
    return check.has_perm(perm.split(".", 1)[1], obj)
