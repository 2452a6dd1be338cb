"""The kinds of notification working groups send, with their default delivery."""

from django.utils.translation import gettext_lazy as _

from messaging.notifications import Delivery, register_kind

register_kind("workgroup.join_request", _("Someone asks to join a group I moderate"), Delivery.IMMEDIATE)
register_kind("workgroup.joined", _("Someone accepted an invitation to a group I moderate"), Delivery.IN_APP)
register_kind("workgroup.approved", _("My request to join a group was approved"), Delivery.IMMEDIATE)
register_kind("workgroup.invitation", _("I am invited to a working group"), Delivery.IMMEDIATE)
register_kind("workgroup.thread", _("A new discussion in one of my groups"), Delivery.IN_APP)
register_kind("workgroup.reply", _("A reply in a discussion I follow"), Delivery.IN_APP)
register_kind("workgroup.document", _("A new document in one of my groups"), Delivery.IN_APP)
register_kind("workgroup.meeting", _("A new or changed meeting in one of my groups"), Delivery.IMMEDIATE)
register_kind("workgroup.announcement", _("An announcement in one of my groups"), Delivery.IMMEDIATE)
