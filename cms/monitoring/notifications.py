"""The monitoring feed's notification kind: the weekly email (see digest.py for what each choice does)."""

from django.utils.translation import gettext_lazy as _

from messaging.notifications import Delivery, register_kind

# "Off" and "in the app only" send no email (the feed itself is the in-app side);
# either email choice sends one email a week. Weekly by default: it is the feed's point.
register_kind(
    "monitoring.weekly",
    _(
        "The weekly email: news in my fields, new calls for me, activity in my groups (either email choice sends it once a week)"
    ),
    Delivery.DIGEST,
)
