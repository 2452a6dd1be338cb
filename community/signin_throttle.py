"""Failed sign-ins, counted per account and per address, for the site and the API.

After SIGNIN_LOCK_AFTER_FAILURES wrong passwords in a row an account is locked
for SIGNIN_LOCK_SECONDS; an address that fails too often in that window is
refused too. Unknown emails are counted like known ones, so the answers never
tell whether an account exists.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

LOCKED_MESSAGE = _("Too many failed sign-in attempts. Please wait 15 minutes and try again.")


class SigninLocked(Exception):
    pass


def _account_key(email: str) -> str:
    digest = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    return f"signin:account:{digest}"


def _address_key(address: str) -> str:
    return f"signin:address:{address or 'unknown'}"


def client_address(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def check(email: str, address: str) -> None:
    """Raises SigninLocked when this account or this address may not try now."""
    if cache.get(_account_key(email), 0) >= settings.SIGNIN_LOCK_AFTER_FAILURES:
        raise SigninLocked(LOCKED_MESSAGE)
    if cache.get(_address_key(address), 0) >= settings.SIGNIN_ADDRESS_FAILURES_PER_WINDOW:
        raise SigninLocked(LOCKED_MESSAGE)


def _incr(key: str) -> None:
    timeout = settings.SIGNIN_LOCK_SECONDS
    if cache.add(key, 1, timeout):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout)
    # Each failure extends the window: a lock lasts from the last failure.
    cache.touch(key, timeout)


def record_failure(email: str, address: str) -> None:
    _incr(_account_key(email))
    _incr(_address_key(address))


def record_success(email: str) -> None:
    """A right password ends the run of failures of the account (not of the address)."""
    cache.delete(_account_key(email))
