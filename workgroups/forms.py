from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Field, Organisation
from workgroups.models import Membership, Workgroup


class WorkgroupForm(forms.ModelForm):
    fields = forms.ModelMultipleChoiceField(
        label=_("Fields"), queryset=Field.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Linked organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Organisations you belong to that lead or host this group."),
    )

    class Meta:
        model = Workgroup
        fields = ["name", "description", "fields", "visibility", "join_policy", "organisations"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "visibility": forms.RadioSelect,
            "join_policy": forms.RadioSelect,
        }
        help_texts = {"description": _("Markdown: **bold**, _italic_, lists, links.")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only organisations one belongs to can be linked; the ones already linked stay.
        mine = Organisation.objects.filter(memberships__user=user) if user is not None else Organisation.objects.none()
        linked = self.instance.organisations.all() if self.instance.pk else Organisation.objects.none()
        self.fields["organisations"].queryset = (mine | linked).distinct().order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("visibility") == Workgroup.Visibility.SECRET and data.get("join_policy") != Workgroup.JoinPolicy.INVITE:
            data["join_policy"] = Workgroup.JoinPolicy.INVITE
        return data


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        label=_("A word for the moderators: who you are and why you want to join"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), help_text=_("A member is invited at once; anyone else gets a link to sign up."))


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=150)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}), max_length=1000, required=False)
