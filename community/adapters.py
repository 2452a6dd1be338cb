"""allauth's hooks: the shared sign-in throttle, and mail in the user's language."""

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.utils import translation

from community import signin_throttle


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request, **credentials):
        try:
            signin_throttle.check(
                credentials.get("email", ""), signin_throttle.client_address(request)
            )
        except signin_throttle.SigninLocked as exc:
            raise forms.ValidationError(str(exc), code="too_many_login_attempts") from None

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            signin_throttle.record_success(credentials.get("email", ""))
        return user

    def authentication_failed(self, request, **credentials):
        signin_throttle.record_failure(
            credentials.get("email", ""), signin_throttle.client_address(request)
        )

    def set_password(self, user, password):
        super().set_password(user, password)
        # A reset proves control of the mailbox, a change needs a session: either ends the
        # run of failures, so a person locked out by someone's guesses can sign in again.
        signin_throttle.record_success(user.email)

    def send_mail(self, template_prefix, email, context):
        user = context.get("user")
        language = getattr(user, "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)
