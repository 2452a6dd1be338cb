import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from community.models import Field, Organisation, OrganisationMembership, Stage, User

IMAGE_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
MAX_IMAGE_PIXELS = 4096 * 4096


def validate_image(upload, max_bytes: int) -> None:
    """A real PNG, JPEG, GIF or WebP under `max_bytes`: extensions and content types lie."""
    if upload is None or upload is False or not hasattr(upload, "size"):
        return
    if upload.size > max_bytes:
        raise ValidationError(
            _("The image is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(upload.size / 1_048_576, 1), "limit": max_bytes // 1_048_576}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            fmt = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not an image we can read (PNG, JPEG, GIF or WebP).")) from None
    finally:
        upload.seek(0)
    if fmt not in IMAGE_FORMATS:
        raise ValidationError(_("Use a PNG, JPEG, GIF or WebP image."))
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(_("The image has too many pixels; 4096 by 4096 at most."))


class SignupExtraForm(forms.Form):
    """What allauth's sign-up asks beyond email and password."""

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=120,
        help_text=_("How other members see you, for example “Marie Curie”."),
    )

    def signup(self, request, user):
        user.display_name = self.cleaned_data["display_name"].strip()
        if getattr(request, "LANGUAGE_CODE", "") in dict(settings.LANGUAGES):
            user.language = request.LANGUAGE_CODE
        user.save(update_fields=["display_name", "language"])


def time_zone_choices():
    zones = sorted(z for z in zoneinfo.available_timezones() if z.startswith(("Europe/", "Atlantic/", "UTC")))
    return [(z, z.replace("_", " ")) for z in zones]


class ProfileForm(forms.ModelForm):
    interests = forms.ModelMultipleChoiceField(
        label=_("Fields of interest"),
        queryset=Field.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Your news feed and suggestions follow these."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=[("", _("As my browser asks"))] + list(settings.LANGUAGES), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    class Meta:
        model = User
        fields = ["display_name", "job_title", "avatar", "bio", "interests", "language", "time_zone", "profile_visibility"]
        widgets = {
            "profile_visibility": forms.RadioSelect,
            "bio": forms.Textarea(attrs={"rows": 4}),
            "avatar": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        }

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if avatar and avatar is not self.initial.get("avatar"):
            validate_image(avatar, settings.AVATAR_MAX_BYTES)
        return avatar


class OrganisationForm(forms.ModelForm):
    stages = forms.ModelMultipleChoiceField(
        label=_("Value-chain stages"),
        queryset=Stage.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    fields = forms.ModelMultipleChoiceField(
        label=_("Fields"),
        queryset=Field.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "country",
            "city",
            "website",
            "description",
            "offers",
            "stages",
            "fields",
            "size_band",
            "logo",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "offers": forms.Textarea(attrs={"rows": 3}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        }

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and logo is not self.initial.get("logo"):
            validate_image(logo, settings.LOGO_MAX_BYTES)
        return logo

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if len(name) < 2:
            raise ValidationError(_("Give the organisation's full name."))
        return name


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("Email address of a member of the platform"))
    role = forms.ChoiceField(label=_("Role"), choices=OrganisationMembership.Role.choices)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise ValidationError(
                _("Nobody has signed up with this address yet. Ask them to sign up first.")
            )
        self.cleaned_data["user"] = user
        return email


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=OrganisationMembership.Role.choices)


class ClaimForm(forms.Form):
    message = forms.CharField(
        label=_("Tell the platform admins who you are in this organisation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
