from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnershipsConfig(AppConfig):
    name = "partnerships"
    verbose_name = _("Partnerships")

    def ready(self):
        from partnerships import notifications  # noqa: F401  (registers the notification kinds)
