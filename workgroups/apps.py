from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _complete_invitations(request, email_address, **kwargs):
    from workgroups.services import invitations_complete

    if email_address.user_id and email_address.email.lower() == email_address.user.email.lower():
        invitations_complete(user=email_address.user)


class WorkgroupsConfig(AppConfig):
    name = "workgroups"
    verbose_name = _("Working groups")

    def ready(self):
        from allauth.account.signals import email_confirmed

        from workgroups import notifications  # noqa: F401  (registers the notification kinds)

        # Signing up with an invited address completes the invitation once it is verified.
        email_confirmed.connect(_complete_invitations, weak=False, dispatch_uid="workgroups-invitations")
