"""Email to one person, in their language and time zone, sent only once the transaction commits."""

import zoneinfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation


def _zone(user):
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def email_user_on_commit(user, *, template: str, context: dict) -> None:
    """Renders `<template>_subject.txt` and `<template>.txt` for `user` and sends them after commit.

    A failure to send is logged by on_commit(robust=True) and never undoes the write.
    """
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    context = {"site_name": settings.SITE_NAME, "base_url": settings.WAGTAILADMIN_BASE_URL, "user": user, **context}
    with translation.override(language), timezone.override(_zone(user)):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]), robust=True)


def email_address_on_commit(email: str, *, language: str, template: str, context: dict) -> None:
    """The same, to an address that has no account yet (an invitation)."""
    context = {"site_name": settings.SITE_NAME, "base_url": settings.WAGTAILADMIN_BASE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]), robust=True)
