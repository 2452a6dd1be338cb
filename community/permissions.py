"""The one module that talks to django-guardian; everything else asks it.

Services grant and revoke; selectors and views ask `visible`, `has` and
`get_visible_or_404`. Permission names are "<app_label>.<codename>".

Permissions are only ever granted to users (`grant` is the only way in), never
to auth groups, so reads look at guardian's user rows alone.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Model, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from guardian.core import ObjectPermissionChecker
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

M = TypeVar("M", bound=Model)

# Organisation admins hold these on their organisation.
ORGANISATION_ADMIN_PERMS = (
    "community.change_organisation",
    "community.manage_organisation_members",
)

# One checker per user for the length of a request (see `request_cache`); None outside one,
# so long-lived callers (sockets, tasks) always read the database afresh.
_checkers: ContextVar[dict | None] = ContextVar("permission_checkers", default=None)


def held_pks(user, perm: str, model: type[Model]) -> QuerySet:
    """A subquery of the pks of `model` on which `user` holds `perm`.

    guardian's get_objects_for_user compares `CAST(id AS varchar)` against every
    row of the table, which grows with the user's rows times the table (26 ms for
    a member of 200 of 2,000 groups: tests/bench/README.md). Casting the user's
    own rows the other way reads guardian's (permission, user, content_type,
    object_pk) index alone: 1.8 ms.
    """
    app_label, codename = perm.split(".", 1)
    content_type = ContentType.objects.get_for_model(model)
    return (
        UserObjectPermission.objects.filter(
            user=user,
            content_type=content_type,
            permission__content_type=content_type,
            permission__codename=codename,
        )
        .annotate(object_id=Cast("object_pk", BigIntegerField()))
        .values("object_id")
    )


def visible_pks(user, perm: str, model: type[Model]) -> QuerySet:
    """A subquery of the pks of the `model` objects on which `user` holds `perm`."""
    if not user.is_authenticated or not user.is_active:
        return model._default_manager.none().values("pk")
    if user.is_superuser:
        return model._default_manager.values("pk")  # as guardian: superusers hold every permission
    return held_pks(user, perm, model)


def visible[M: Model](user, perm: str, qs: QuerySet[M]) -> QuerySet[M]:
    """The objects of `qs` on which `user` holds `perm` (none for anonymous users)."""
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(pk__in=held_pks(user, perm, qs.model))


def get_visible_or_404[M: Model](user, perm: str, qs: QuerySet[M], **lookup) -> M:
    try:
        return visible(user, perm, qs).get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404 from None  # the same answer for "missing" and "not yours"


def has(user, perm: str, obj: Model) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    checkers = _checkers.get()
    if checkers is None:
        return user.has_perm(perm, obj)
    check = checkers.get(user.pk)
    if check is None:
        check = checkers[user.pk] = ObjectPermissionChecker(user)
    return check.has_perm(perm.split(".", 1)[1], obj)


@contextmanager
def request_cache() -> Iterator[None]:
    """Within it, `has` asks guardian once per user and object instead of once per check."""
    token = _checkers.set({})
    try:
        yield
    finally:
        _checkers.reset(token)


class PermissionCacheMiddleware:
    """A group page checks four or more permissions on one group: one query, not one each."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_cache():
            return self.get_response(request)


def _forget_checkers() -> None:
    checkers = _checkers.get()
    if checkers:
        checkers.clear()


def grant(user, perms: Iterable[str], obj: Model) -> None:
    _forget_checkers()
    for perm in perms:
        assign_perm(perm, user, obj)


def revoke(user, perms: Iterable[str], obj: Model) -> None:
    _forget_checkers()
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
