"""Calls and responses with real people in every role, built through the services."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from community import services as community
from community.models import Field, Organisation, Stage, User
from partnerships import services
from partnerships.models import Call
from tests.factories import UserFactory, organisation_with_admin


def in_days(days: float):
    return timezone.now() + timedelta(days=days)


def field(slug: str) -> Field:
    return Field.objects.get(slug=slug)


def stage(slug: str) -> Stage:
    return Stage.objects.get(slug=slug)


@dataclass
class Cast:
    """A publishing organisation and a responding one, with their people."""

    publisher: Organisation
    publisher_admin: User
    publisher_member: User  # a plain member: may not manage calls
    publisher_delegate: User  # a member the admins allow to publish
    responder: Organisation
    responder_admin: User
    responder_member: User
    outsider: User  # in a third organisation
    outsider_org: Organisation

    def __getitem__(self, name: str):
        return getattr(self, name)


def cast() -> Cast:
    publisher_admin = UserFactory(display_name="Paula Publisher")
    publisher = organisation_with_admin(publisher_admin, name="Lyon Fill Finish SAS", country="FR")
    publisher_member = UserFactory(display_name="Pierre Plainmember")
    publisher_delegate = UserFactory(display_name="Delia Delegate")
    for user in (publisher_member, publisher_delegate):
        community.organisation_member_add(actor=publisher_admin, organisation=publisher, user=user)
    services.call_publisher_set(actor=publisher_admin, organisation=publisher, user=publisher_delegate, allowed=True)
    responder_admin = UserFactory(display_name="Rita Responder")
    responder = organisation_with_admin(responder_admin, name="Vector Labs GmbH", country="DE")
    responder_member = UserFactory(display_name="Rolf Responder")
    community.organisation_member_add(actor=responder_admin, organisation=responder, user=responder_member)
    outsider = UserFactory(display_name="Otto Outsider")
    outsider_org = organisation_with_admin(outsider, name="Elsewhere Bio", country="IT")
    return Cast(
        publisher, publisher_admin, publisher_member, publisher_delegate,
        responder, responder_admin, responder_member, outsider, outsider_org,
    )


def published_call(c: Cast, **overrides) -> Call:
    kwargs = {
        "actor": c.publisher_admin,
        "organisation": c.publisher,
        "kind": Call.Kind.CAPACITY_OFFER,
        "title": "Fill-finish capacity for viral vectors",
        "summary": "Two aseptic lines free from March for clinical batches of AAV and lentiviral vectors.",
        "description": "We offer **fill-finish** slots.",
        "deadline": in_days(30),
        "stages": [stage("production")],
        "fields": [field("viral-vectors"), field("fill-finish")],
        "countries": [],
        "publish": True,
    }
    kwargs.update(overrides)
    return services.call_create(**kwargs)
