from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    """The economic monitoring feed: external feeds, tagged items, personal feeds, tendencies, digests."""

    name = "cms.monitoring"
    label = "monitoring"
    verbose_name = _("Economic monitoring")

    def ready(self):
        from cms.monitoring import notifications  # noqa: F401  (registers the weekly email's kind)
