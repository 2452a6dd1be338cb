"""What the partnerships API reads and writes (input and output apart).

Outputs are built from a `selectors.Viewer`, passed in the context as
"viewer": what a payload holds depends on who reads it. An anonymous call's
organisation appears only through `selectors.shown_organisation`, and nothing
else in a call's payload names it (no creator, no organisation id, no links).
"""

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from community.countries import EUROPE, normalise_country
from community.models import Field, Organisation, Stage
from partnerships import selectors
from partnerships.models import MAX_QUESTIONS, Call, Response, ResponseEvent

MAX_SEARCH_LENGTH = 200
MAX_VALUES_PER_FACET = 60
MAX_LINKS = 50  # stages, fields, countries or working groups in one call

# Statuses the list filters on; "open" is published and before the deadline.
LIST_STATUSES = [*Call.Status.values, "open"]
ORDERS = ["newest", "deadline"]


# Output


class OrganisationRef(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


def organisation_ref(organisation: Organisation | None) -> dict | None:
    return {"slug": organisation.slug, "name": organisation.name} if organisation else None


KIND_DOC = "One of: " + ", ".join(Call.Kind.values) + "."


class CallOutput(serializers.Serializer):
    """A call. Keys marked "managers only", "detail only" or "for-you only" are absent elsewhere."""

    id = serializers.IntegerField()
    organisation = OrganisationRef(
        allow_null=True,
        help_text="Null when the call is anonymous and its organisation is hidden from you.",
    )
    anonymous = serializers.BooleanField()
    kind = serializers.CharField(help_text=KIND_DOC)
    status = serializers.ChoiceField(choices=Call.Status.choices)
    is_open = serializers.BooleanField(
        help_text="Published and before its deadline: responses are taken now."
    )
    title = serializers.CharField()
    summary = serializers.CharField()
    topic_reference = serializers.CharField()
    stages = serializers.ListField(
        child=serializers.SlugField(), help_text="Value-chain stage slugs."
    )
    fields = serializers.ListField(child=serializers.SlugField(), help_text="Field slugs.")
    countries = serializers.ListField(
        child=serializers.CharField(),
        help_text="ISO 3166-1 alpha-2 codes sought; empty: all of Europe.",
    )
    all_europe = serializers.BooleanField()
    deadline = serializers.DateTimeField()
    audience = serializers.ChoiceField(choices=Call.Audience.choices)
    questions = serializers.ListField(
        child=serializers.CharField(), help_text="What respondents answer, in order."
    )
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    can_manage = serializers.BooleanField(
        help_text="Whether you manage this call (edit it, decide on its responses)."
    )
    response_count = serializers.IntegerField(required=False, help_text="Managers only.")
    workgroups = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        help_text="Managers only: the working groups addressed.",
    )
    renewals = serializers.IntegerField(required=False, help_text="Managers only.")
    review_note = serializers.CharField(
        required=False, help_text="Managers only: the platform reviewer's note."
    )
    description = serializers.CharField(required=False, help_text="Detail only: Markdown.")
    description_html = serializers.CharField(
        required=False, help_text="Detail only: the description rendered and sanitised."
    )
    score = serializers.IntegerField(
        required=False,
        help_text="For-you only: 3 per shared field, 2 per shared stage, 1 when the call names your country.",
    )
    reasons = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="For-you only: the shared fields and stages, and your country when named.",
    )

    def to_representation(self, instance) -> dict:
        match = instance if isinstance(instance, selectors.Match) else None
        call: Call = match.call if match else instance
        viewer = self.context["viewer"]
        when = serializers.DateTimeField()
        data = {
            "id": call.pk,
            "organisation": organisation_ref(selectors.shown_organisation(call, viewer)),
            "anonymous": call.anonymous,
            "kind": call.kind,
            "status": call.status,
            "is_open": call.is_open,
            "title": call.title,
            "summary": call.summary,
            "topic_reference": call.topic_reference,
            "stages": [s.slug for s in call.stages.all()],
            "fields": [f.slug for f in call.fields.all()],
            "countries": sorted(str(row.country) for row in call.country_rows.all()),
            "all_europe": call.all_europe,
            "deadline": when.to_representation(call.deadline),
            "audience": call.audience,
            "questions": list(call.questions or []),
            "published_at": when.to_representation(call.published_at)
            if call.published_at
            else None,
            "created_at": when.to_representation(call.created_at),
            "can_manage": viewer.manages(call),
        }
        if data["can_manage"]:
            data["response_count"] = call.response_count
            data["workgroups"] = sorted(w.slug for w in call.workgroups.all())
            data["renewals"] = call.renewals
            data["review_note"] = call.review_note
        if self.context.get("detail"):
            data["description"] = call.description
            data["description_html"] = call.description_html
        if match:
            data["score"] = match.score
            data["reasons"] = list(match.reasons)
        return data


class EventOutput(serializers.Serializer):
    from_status = serializers.CharField(help_text="Empty for the submission.")
    to_status = serializers.CharField(help_text="The response's status after the move.")
    actor = serializers.IntegerField(allow_null=True, help_text="The user who made the move.")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()

    def to_representation(self, event: ResponseEvent) -> dict:
        return {
            "from_status": event.from_status,
            "to_status": event.to_status,
            "actor": event.actor_id,
            "note": event.note,
            "created_at": serializers.DateTimeField().to_representation(event.created_at),
        }


class ResponseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    call = serializers.IntegerField(help_text="The call's id.")
    organisation = OrganisationRef(help_text="The responding organisation.")
    message = serializers.CharField()
    answers = serializers.ListField(
        child=serializers.CharField(), help_text="One per question of the call."
    )
    status = serializers.CharField(help_text="One of: " + ", ".join(Response.Status.values) + ".")
    conversation = serializers.IntegerField(
        allow_null=True, help_text="Both sides' conversation, once in discussion."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    history = EventOutput(
        many=True, required=False, help_text="The call's managers only: every move, oldest first."
    )

    def to_representation(self, response: Response) -> dict:
        when = serializers.DateTimeField()
        data = {
            "id": response.pk,
            "call": response.call_id,
            "organisation": organisation_ref(response.organisation),
            "message": response.message,
            "answers": list(response.answers or []),
            "status": response.status,
            "conversation": response.conversation_id,
            "created_at": when.to_representation(response.created_at),
            "updated_at": when.to_representation(response.updated_at),
        }
        if self.context.get("manages"):
            data["history"] = [EventOutput().to_representation(e) for e in response.events.all()]
        return data


class CallRef(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class PartnershipOutput(serializers.Serializer):
    id = serializers.IntegerField()
    call = CallRef(help_text="The call it came from.")
    publisher = OrganisationRef()
    partner = OrganisationRef()
    started_on = serializers.DateField()
    publisher_shows = serializers.BooleanField()
    partner_shows = serializers.BooleanField()
    public = serializers.BooleanField(help_text="Shown on both profiles: both sides agreed.")

    def to_representation(self, partnership) -> dict:
        return {
            "id": partnership.pk,
            "call": {"id": partnership.call_id, "title": partnership.call.title},
            "publisher": organisation_ref(partnership.publisher),
            "partner": organisation_ref(partnership.partner),
            "started_on": partnership.started_on.isoformat(),
            "publisher_shows": partnership.publisher_shows,
            "partner_shows": partnership.partner_shows,
            "public": partnership.public,
        }


class SavedQuerySchema(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=MAX_SEARCH_LENGTH)
    kind = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Call kinds."
    )
    stage = serializers.ListField(child=serializers.SlugField(), required=False)
    field = serializers.ListField(child=serializers.SlugField(), required=False)
    country = serializers.ListField(child=serializers.CharField(), required=False)


class SavedSearchOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    query = SavedQuerySchema()
    notify = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def to_representation(self, saved) -> dict:
        return {
            "id": saved.pk,
            "name": saved.name,
            "query": saved.query,
            "notify": saved.notify,
            "created_at": serializers.DateTimeField().to_representation(saved.created_at),
        }


# Input fields


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time that states its offset: a deadline without one is ambiguous."""

    default_error_messages = {
        "naive": gettext_lazy("Give the time zone too, e.g. 2030-01-31T17:00:00+01:00."),
        "invalid": gettext_lazy(
            "An ISO 8601 date and time is expected, e.g. 2030-01-31T17:00:00+01:00."
        ),
    }

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail("naive")
        return super().to_internal_value(parsed)


class SlugListField(serializers.ListField):
    """A list of slugs resolved in one query; unknown slugs are named in the error."""

    def __init__(self, *, queryset, noun: str, **kwargs):
        self.queryset, self.noun = queryset, noun
        kwargs.setdefault("max_length", MAX_LINKS)
        super().__init__(child=serializers.CharField(max_length=100), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail(
                "max_length", max_length=self.max_length
            )  # before the child fields read them all
        slugs = list(dict.fromkeys(super().to_internal_value(data)))
        found = {obj.slug: obj for obj in self.get_queryset().filter(slug__in=slugs)}
        unknown = [s for s in slugs if s not in found]
        if unknown:
            raise ValidationError(
                _("Unknown %(noun)s: %(slugs)s") % {"noun": self.noun, "slugs": ", ".join(unknown)}
            )
        return [found[s] for s in slugs]

    def get_queryset(self):
        return self.queryset.all()


class CountryListField(serializers.ListField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", len(EUROPE))
        super().__init__(child=serializers.CharField(max_length=60), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        values = super().to_internal_value(data)
        codes, unknown = [], []
        for value in values:
            code = normalise_country(value)
            (codes.append(code) if code in EUROPE else unknown.append(value))
        if unknown:
            raise ValidationError(
                _("Unknown or non-European countries: %s. Use ISO 3166 codes such as FR.")
                % ", ".join(unknown)
            )
        return list(dict.fromkeys(codes))


class MyWorkgroupsField(SlugListField):
    """Working groups by slug, among those the user is an active member of: others read as unknown."""

    def get_queryset(self):
        from workgroups.selectors import my_workgroups

        return my_workgroups(user=self.context["request"].user)


@extend_schema_field(OpenApiTypes.STR)
class OrganisationSlugField(serializers.Field):
    """An organisation named by its slug (the directory is public: naming one reveals nothing)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip() or len(data) > 100 or "\x00" in data:
            raise ValidationError(_("An organisation's slug is expected."))
        organisation = Organisation.objects.filter(slug=data.strip()).first()
        if organisation is None:
            raise ValidationError(_("No organisation has the slug “%s”.") % data.strip())
        return organisation

    def to_representation(self, value):
        return value.slug


# Inputs


class CallInput(serializers.Serializer):
    organisation = OrganisationSlugField(help_text="The publishing organisation's slug.")
    kind = serializers.ChoiceField(choices=Call.Kind.choices)
    title = serializers.CharField(min_length=5, max_length=160)
    summary = serializers.CharField(max_length=400)
    description = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, help_text="Markdown."
    )
    topic_reference = serializers.CharField(max_length=120, required=False, allow_blank=True)
    stages = SlugListField(
        queryset=Stage.objects.all(), noun=gettext_lazy("stages"), required=False
    )
    fields = SlugListField(
        queryset=Field.objects.all(), noun=gettext_lazy("fields"), required=False
    )
    countries = CountryListField(
        required=False, help_text="ISO codes; empty or absent: all of Europe."
    )
    deadline = AwareDateTimeField(
        help_text="ISO 8601 with its offset, at least an hour ahead and within two years."
    )
    audience = serializers.ChoiceField(choices=Call.Audience.choices, required=False)
    workgroups = MyWorkgroupsField(
        queryset=None,
        noun=gettext_lazy("working groups (or not one you are an active member of)"),
        required=False,
    )
    anonymous = serializers.BooleanField(required=False)
    questions = serializers.ListField(
        child=serializers.CharField(max_length=300), max_length=MAX_QUESTIONS, required=False
    )
    status = serializers.ChoiceField(
        choices=[Call.Status.DRAFT, Call.Status.PUBLISHED, Call.Status.CLOSED],
        default=Call.Status.DRAFT,
        help_text="Creating: `draft` (the default) or `published` to publish at once. "
        "Changing: `published` publishes a draft, `closed` closes a published call.",
    )

    def validate_status(self, value):
        if not self.partial and value == Call.Status.CLOSED:
            raise ValidationError(_("A new call is a draft or published."))
        return value


class RenewInput(serializers.Serializer):
    deadline = AwareDateTimeField()


class ResponseInput(serializers.Serializer):
    organisation = OrganisationSlugField(
        required=False,
        help_text="The slug of the organisation you respond for; may be left out if you belong to one only.",
    )
    message = serializers.CharField(
        max_length=5000, help_text="What you offer and why: 10 to 5,000 characters."
    )
    answers = serializers.ListField(
        child=serializers.CharField(max_length=2000, allow_blank=True),
        max_length=MAX_QUESTIONS,
        required=False,
    )


class ResponseMoveInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Response.Status.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class PartnershipShowInput(serializers.Serializer):
    organisation = OrganisationSlugField(
        required=False, help_text="Your side's slug; may be left out when only one side is yours."
    )
    shown = serializers.BooleanField()


class SavedSearchInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    query = serializers.DictField(
        help_text="The list's filters: {q, kind, stage, field, country}, lists of slugs and ISO codes."
    )
    notify = serializers.BooleanField(default=True)

    def validate_query(self, value):
        allowed = {"q", "kind", "stage", "field", "country"}
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValidationError(_("Unknown filters: %s") % ", ".join(unknown)[:200])
        params = {"search": value.get("q", "")}
        errors = {}
        if not isinstance(params["search"], str):
            errors["q"] = [_("Text is expected.")]
        for name in ("kind", "stage", "field", "country"):
            values = value.get(name, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                errors[name] = [_("A list of texts is expected.")]
            params[name] = values
        if errors:
            raise ValidationError(errors)
        query, _statuses, _order, _organisation = parse_call_query(ListParams(params))
        saved = query.as_saved()
        if not saved:
            raise ValidationError(_("A saved search needs at least one filter or search text."))
        return saved


# The list's parameters


class ListParams:
    """Query parameters from a plain dict of lists (a saved search's query)."""

    def __init__(self, values: dict):
        self.values = values

    def get(self, name, default=None):
        value = self.values.get(name, default)
        return value if not isinstance(value, list) else (value[0] if value else default)

    def getlist(self, name):
        value = self.values.get(name, [])
        return value if isinstance(value, list) else [value]


def _values(params, name: str) -> list[str]:
    values: list[str] = []
    for raw in params.getlist(name):
        # PostgreSQL refuses NUL in text: such a value can only be junk.
        values.extend(v.strip() for v in str(raw).split(",") if v.strip() and "\x00" not in v)
    return list(dict.fromkeys(values))[:MAX_VALUES_PER_FACET]


def parse_call_query(params) -> tuple[selectors.CallQuery, list[str], str, str]:
    """(query, statuses, order, organisation slug) from request parameters; 400 naming every unknown value."""
    errors: dict[str, list[str]] = {}
    q = str(params.get("search") or params.get("q") or "").replace("\x00", "").strip()
    if len(q) > MAX_SEARCH_LENGTH:
        errors["search"] = [_("At most %d characters.") % MAX_SEARCH_LENGTH]

    def check(name: str, values: list[str], known) -> list[str]:
        bad = [v for v in values if v not in known]
        if bad:
            errors[name] = [_("Unknown values: %s") % ", ".join(bad)[:300]]
        return [v for v in values if v in known]

    kinds = check("kind", _values(params, "kind"), set(Call.Kind.values))
    stage_values, field_values = _values(params, "stage"), _values(params, "field")
    stages = check(
        "stage",
        stage_values,
        set(Stage.objects.filter(slug__in=stage_values).values_list("slug", flat=True))
        if stage_values
        else set(),
    )
    fields = check(
        "field",
        field_values,
        set(Field.objects.filter(slug__in=field_values).values_list("slug", flat=True))
        if field_values
        else set(),
    )
    countries, bad = [], []
    for value in _values(params, "country"):
        code = normalise_country(value)
        (countries.append(code) if code in EUROPE else bad.append(value))
    if bad:
        errors["country"] = [_("Unknown or non-European countries: %s") % ", ".join(bad)[:300]]
    statuses = check("status", _values(params, "status"), set(LIST_STATUSES))
    order = str(params.get("order") or "")
    if order and order not in ORDERS:
        errors["order"] = [_("One of: %s") % ", ".join(ORDERS)]
    organisation = str(params.get("organisation") or "").strip()[:100].replace("\x00", "")
    if errors:
        raise ValidationError(errors)
    query = selectors.CallQuery(
        q=q, kind=kinds, stage=stages, field=fields, country=list(dict.fromkeys(countries))
    )
    return query, statuses, order, organisation
