"""Per-request preferences, and the admin's content security policy."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.csp import CSP

# Wagtail's and Django's admin, and the API docs, still inline some scripts and styles.
RELAXED_CSP = {
    **settings.SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "frame-ancestors": [CSP.SELF],
}
RELAXED_PREFIXES = ("/cms/", "/admin/", "/api/v1/docs/")


class UserPreferencesMiddleware:
    """Activates the signed-in user's time zone and language, and relaxes CSP on admin pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            if user.language and user.language in dict(settings.LANGUAGES):
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        else:
            timezone.deactivate()
        response = self.get_response(request)
        if request.path.startswith(RELAXED_PREFIXES):
            response._csp_config = RELAXED_CSP
            if request.path.startswith(("/cms/", "/admin/")):
                response.headers.pop("X-Frame-Options", None)
                response["X-Frame-Options"] = "SAMEORIGIN"  # Wagtail's preview uses an iframe
        return response
