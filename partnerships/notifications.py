"""The kinds of notification partnership calls send, and who receives them."""

from django.utils.translation import gettext_lazy as _

from messaging.notifications import Delivery, register_kind

register_kind("partnerships.response", _("A response to one of our calls"), Delivery.IMMEDIATE)
register_kind("partnerships.withdrawn", _("A response to one of our calls was withdrawn"), Delivery.IN_APP)
register_kind("partnerships.status", _("Our response to a call moved (shortlisted, in discussion, accepted, declined)"), Delivery.IMMEDIATE)
register_kind("partnerships.partnership", _("A partnership was recorded"), Delivery.IMMEDIATE)
register_kind("partnerships.match", _("A new call matches one of my saved searches"), Delivery.DIGEST)
register_kind("partnerships.review", _("A call waits for review (platform moderators)"), Delivery.IMMEDIATE)
register_kind("partnerships.reviewed", _("A call of ours was reviewed"), Delivery.IMMEDIATE)
register_kind("partnerships.expired", _("A call of ours reached its deadline"), Delivery.IN_APP)
