"""The forms of the partnership pages: they parse and check what people type; the services decide."""

import datetime as dt
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.countries import european_countries
from community.forms import time_zone_choices
from community.models import Field, Organisation, Stage
from partnerships.models import MAX_QUESTIONS, Call, Response, SavedSearch

DEFAULT_DAYS_OPEN = 30
DEFAULT_CLOSING_TIME = dt.time(17, 0)


def field_groups(bound_field) -> list[tuple[str, list]]:
    """The checkboxes of a fields chooser grouped by category (modalities, then technologies)."""
    groups: dict[str, list] = {value: [] for value, _label in Field.Category.choices}
    for widget in bound_field.subwidgets:
        instance = getattr(widget.data["value"], "instance", None)
        groups.setdefault(getattr(instance, "category", ""), []).append(widget)
    labels = {Field.Category.MODALITY: _("Modalities"), Field.Category.TECHNOLOGY: _("Technologies")}
    return [(labels.get(value, _("Other fields")), widgets) for value, widgets in groups.items() if widgets]


def to_aware(day: dt.date, time: dt.time, zone_name: str) -> dt.datetime:
    """A wall-clock date and time in the zone called `zone_name`, as an aware time.

    A time the zone skips (clocks going forward) is refused rather than guessed.
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    naive = dt.datetime.combine(day, time)
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValidationError(_("This time does not exist in %(zone)s (the clocks change then): choose another.") % {"zone": zone_name})
    return aware


class DeadlineFields(forms.Form):
    """A deadline as people give it: a date, a time and the time zone they mean."""

    deadline_date = forms.DateField(
        label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    deadline_time = forms.TimeField(
        label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), initial=DEFAULT_CLOSING_TIME
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    def __init__(self, *args, zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        zone = zone or timezone.get_current_timezone_name()
        choices = time_zone_choices()
        if zone not in {value for value, _label in choices}:
            choices = [(zone, zone.replace("_", " ")), *choices]
        self.fields["time_zone"].choices = choices
        self.fields["time_zone"].initial = zone
        self.fields["deadline_date"].initial = timezone.localdate() + dt.timedelta(days=DEFAULT_DAYS_OPEN)

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"]
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError(_("Choose a time zone from the list.")) from None
        return value

    def clean(self):
        data = super().clean()
        if all(data.get(k) is not None for k in ("deadline_date", "deadline_time")) and data.get("time_zone"):
            try:
                data["deadline"] = to_aware(data["deadline_date"], data["deadline_time"], data["time_zone"])
            except ValidationError as exc:
                self.add_error("deadline_time", exc)
        return data


class CallForm(DeadlineFields):
    """A call, new or changed. The organisation is chosen once, among those the author manages."""

    organisation = forms.ModelChoiceField(
        label=_("Published by"), queryset=Organisation.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(label=_("Kind of call"), choices=Call.Kind.choices)
    title = forms.CharField(label=_("Title"), min_length=5, max_length=160)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One or two sentences, shown in lists."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown: **bold**, _italic_, lists, links. What you offer or seek, for whom, and on which terms."),
    )
    topic_reference = forms.CharField(
        label=_("Funding topic"),
        max_length=120,
        required=False,
        help_text=_("For a consortium: the funding call's topic reference, for example HORIZON-HLTH-2027-IND-13-01."),
    )
    stages = forms.ModelMultipleChoiceField(
        label=_("Value-chain stages"), queryset=Stage.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    fields = forms.ModelMultipleChoiceField(
        label=_("Fields"), queryset=Field.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries sought"),
        choices=european_countries,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave every country unticked to seek partners in all of Europe."),
    )
    audience = forms.ChoiceField(
        label=_("Who may see it"), choices=Call.Audience.choices, widget=forms.RadioSelect, initial=Call.Audience.MEMBERS
    )
    workgroups = forms.ModelMultipleChoiceField(
        label=_("Working groups"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only the members of these groups see the call. You can choose groups you are a member of."),
    )
    anonymous = forms.BooleanField(
        label=_("Publish anonymously"),
        required=False,
        help_text=_("Our name stays hidden until we accept a response. Decided before publication."),
    )

    def __init__(self, *args, user, call: Call | None = None, **kwargs):
        from partnerships.permissions import managed_organisation_ids
        from workgroups.models import Membership, Workgroup

        super().__init__(*args, **kwargs)
        self.call = call
        for i in range(1, MAX_QUESTIONS + 1):
            self.fields[f"question_{i}"] = forms.CharField(
                label=_("Question %(n)d") % {"n": i}, max_length=300, required=False
            )
        if call is None:
            self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=managed_organisation_ids(user)).order_by("name")
        else:
            del self.fields["organisation"]  # a call stays with the organisation that published it
        mine = Membership.objects.filter(user=user, status=Membership.Status.ACTIVE).values("workgroup_id")
        chosen = call.workgroups.values("pk") if call is not None and call.pk else Workgroup.objects.none().values("pk")
        # The groups one is in, and those the call already addresses (so saving keeps them).
        self.fields["workgroups"].queryset = Workgroup.objects.filter(Q(pk__in=mine) | Q(pk__in=chosen)).order_by("name")
        if call is not None:
            self.questions_locked = bool(call.response_count)
            self.anonymity_locked = call.status != Call.Status.DRAFT
            if self.questions_locked:
                for i in range(1, MAX_QUESTIONS + 1):
                    self.fields[f"question_{i}"].disabled = True
            if self.anonymity_locked:
                self.fields["anonymous"].disabled = True
        else:
            self.questions_locked = self.anonymity_locked = False

    @classmethod
    def initial_for(cls, call: Call) -> dict:
        local = timezone.localtime(call.deadline)
        initial = {
            "kind": call.kind,
            "title": call.title,
            "summary": call.summary,
            "description": call.description,
            "topic_reference": call.topic_reference,
            "stages": list(call.stages.all()),
            "fields": list(call.fields.all()),
            "countries": [str(c.country) for c in call.country_rows.all()],
            "audience": call.audience,
            "workgroups": list(call.workgroups.all()),
            "anonymous": call.anonymous,
            "deadline_date": local.date(),
            "deadline_time": local.time().replace(second=0, microsecond=0),
        }
        for i, question in enumerate(call.questions[:MAX_QUESTIONS], start=1):
            initial[f"question_{i}"] = question
        return initial

    def question_fields(self):
        return [self[f"question_{i}"] for i in range(1, MAX_QUESTIONS + 1)]

    def field_groups(self):
        return field_groups(self["fields"])

    def clean(self):
        data = super().clean()
        if data.get("audience") == Call.Audience.GROUPS and not data.get("workgroups"):
            self.add_error("workgroups", _("Choose at least one working group, or address the call to every member."))
        if data.get("kind") != Call.Kind.CONSORTIUM:
            data["topic_reference"] = ""  # the field is shown for consortia only
        data["questions"] = [data.get(f"question_{i}", "").strip() for i in range(1, MAX_QUESTIONS + 1)]
        data["questions"] = [q for q in data["questions"] if q]
        return data


class RenewForm(DeadlineFields):
    """A new deadline for a closed or expired call."""


class RespondForm(forms.Form):
    """A response on behalf of one of the author's organisations, with an answer to each of the call's questions."""

    organisation = forms.ModelChoiceField(label=_("Respond for"), queryset=Organisation.objects.none(), empty_label=None)
    message = forms.CharField(
        label=_("Your message"),
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you offer or need, and why your organisation is a good partner. The call's managers read it."),
    )

    def __init__(self, *args, call: Call, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.call = call
        self.fields["organisation"].queryset = organisations
        for i, question in enumerate(call.questions, start=1):
            self.fields[f"answer_{i}"] = forms.CharField(
                label=question, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
            )

    def answer_fields(self):
        return [self[f"answer_{i}"] for i in range(1, len(self.call.questions) + 1)]

    @property
    def answers(self) -> list[str]:
        return [self.cleaned_data.get(f"answer_{i}", "") for i in range(1, len(self.call.questions) + 1)]


class SaveSearchForm(forms.Form):
    name = forms.CharField(label=_("Name of this search"), max_length=120)
    notify = forms.BooleanField(label=_("Tell me when a new call matches"), required=False, initial=True)


class MoveForm(forms.Form):
    status = forms.ChoiceField(choices=Response.Status.choices)
    note = forms.CharField(label=_("Note (optional)"), max_length=1000, required=False)


class SavedSearchDeleteForm(forms.Form):
    saved = forms.ModelChoiceField(queryset=SavedSearch.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved"].queryset = SavedSearch.objects.filter(user=user)
