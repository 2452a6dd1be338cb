"""The directory's API: auth/token/, me/, taxonomy/, organisations/."""

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import PermissionDenied, Throttled, ValidationError
from rest_framework.generics import ListCreateAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from community import permissions, selectors, services, signin_throttle
from community.countries import european_countries, normalise_country
from community.filters import InvalidQuery, parse_directory_query
from community.models import Field, Organisation, Stage, User

# Output


class OrganisationOutput(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code")
    stages = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    fields = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    logo = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = [
            "slug",
            "name",
            "kind",
            "country",
            "city",
            "latitude",
            "longitude",
            "website",
            "description",
            "offers",
            "stages",
            "fields",
            "size_band",
            "logo",
            "verified",
            "claimed",
            "created_at",
            "updated_at",
            "url",
        ]

    def get_logo(self, org) -> str | None:
        if not org.logo:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(org.logo.url) if request else org.logo.url

    def get_url(self, org) -> str:
        request = self.context.get("request")
        path = org.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class MembershipOutput(serializers.Serializer):
    slug = serializers.CharField(source="organisation.slug")
    name = serializers.CharField(source="organisation.name")
    role = serializers.CharField()


class MeOutput(serializers.ModelSerializer):
    interests = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    organisations = serializers.SerializerMethodField()
    email_verified = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "email_verified",
            "display_name",
            "job_title",
            "bio",
            "language",
            "time_zone",
            "profile_visibility",
            "interests",
            "organisations",
        ]

    def get_organisations(self, user) -> list[dict]:
        return MembershipOutput(selectors.organisations_of(user=user), many=True).data

    def get_email_verified(self, user) -> bool:
        return selectors.user_has_verified_email(user)


# Input


class CountryInput(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        code = normalise_country(value)
        if code is None:
            raise ValidationError(_("Unknown or non-European country: %s. Use an ISO 3166 code such as FR.") % value[:40])
        return code


class OrganisationInput(serializers.Serializer):
    name = serializers.CharField(max_length=255, min_length=2)
    country = CountryInput(max_length=60)
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices, default=Organisation.Kind.COMPANY)
    city = serializers.CharField(max_length=120, required=False, allow_blank=True)
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    longitude = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    website = serializers.URLField(max_length=500, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    offers = serializers.CharField(max_length=3000, required=False, allow_blank=True)
    size_band = serializers.ChoiceField(choices=Organisation.SizeBand.choices, required=False, allow_blank=True)
    stages = serializers.SlugRelatedField(slug_field="slug", many=True, queryset=Stage.objects.all(), required=False)
    fields = serializers.SlugRelatedField(slug_field="slug", many=True, queryset=Field.objects.all(), required=False)


class TokenInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class MeInput(serializers.Serializer):
    display_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    job_title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    language = serializers.CharField(max_length=8, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False)
    profile_visibility = serializers.ChoiceField(choices=User.Visibility.choices, required=False)
    interests = serializers.SlugRelatedField(slug_field="slug", many=True, queryset=Field.objects.all(), required=False)


# Views


class TokenCreateApi(APIView):
    """Exchanges a verified account's email and password for an API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenInput,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
        auth=[],
    )
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        email, password = data.validated_data["email"].strip().lower(), data.validated_data["password"]
        address = signin_throttle.client_address(request)
        try:
            signin_throttle.check(email, address)
        except signin_throttle.SigninLocked as exc:
            raise Throttled(detail=str(exc), wait=None) from None
        user = authenticate(request._request, email=email, password=password)
        if user is None:
            signin_throttle.record_failure(email, address)
            # The same answer for an unknown email and a wrong password.
            return Response({"detail": _("Wrong email or password.")}, status=status.HTTP_400_BAD_REQUEST)
        signin_throttle.record_success(email)
        if not selectors.user_has_verified_email(user):
            raise PermissionDenied(_("Verify your email address first: follow the link we emailed you."))
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeOutput)
    def get(self, request):
        user = User.objects.prefetch_related("interests").get(pk=request.user.pk)
        return Response(MeOutput(user).data)

    @extend_schema(request=MeInput, responses=MeOutput)
    def patch(self, request):
        data = MeInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        interests = changes.pop("interests", None)
        user = User.objects.get(pk=request.user.pk)
        services.user_profile_update(actor=request.user, user=user, interests=interests, **changes)
        return self.get(request)


class TaxonomyApi(APIView):
    """Every value-chain stage, field, kind and country, with its name."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "Taxonomy",
            {
                "stages": serializers.ListField(child=serializers.DictField()),
                "fields": serializers.ListField(child=serializers.DictField()),
                "kinds": serializers.ListField(child=serializers.DictField()),
                "countries": serializers.ListField(child=serializers.DictField()),
            },
        ),
        auth=[],
    )
    def get(self, request):
        return Response(
            {
                "stages": [
                    {"slug": s.slug, "name": s.name, "description": s.description} for s in Stage.objects.all()
                ],
                "fields": [
                    {"slug": f.slug, "name": f.name, "category": f.category, "euroscivoc_code": f.euroscivoc_code}
                    for f in Field.objects.all()
                ],
                "kinds": [{"slug": value, "name": str(label)} for value, label in Organisation.Kind.choices],
                "countries": [{"code": c.code, "name": str(c.name)} for c in european_countries],
            }
        )


LIST_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description="Words to find in names, descriptions, cities and fields; case- and accent-insensitive."),
    OpenApiParameter("country", OpenApiTypes.STR, description="ISO 3166-1 alpha-2 codes, repeated or comma-separated."),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=Organisation.Kind.values, description="Kinds, repeated or comma-separated."),
    OpenApiParameter("stage", OpenApiTypes.STR, description="Stage slugs (see taxonomy/), repeated or comma-separated."),
    OpenApiParameter("field", OpenApiTypes.STR, description="Field slugs (see taxonomy/), repeated or comma-separated."),
    OpenApiParameter("verified", OpenApiTypes.BOOL),
    OpenApiParameter("claimed", OpenApiTypes.BOOL),
    OpenApiParameter("order", OpenApiTypes.STR, enum=["newest"], description="Default: relevance when searching, else name."),
]


class OrganisationListCreateApi(ListCreateAPIView):
    serializer_class = OrganisationOutput

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    def get_queryset(self):
        try:
            query = parse_directory_query(self.request.query_params, strict=True)
        except InvalidQuery as exc:
            raise ValidationError(exc.errors) from None
        return selectors.organisation_cards(selectors.organisation_search(viewer=self.request.user, query=query))

    @extend_schema(parameters=LIST_PARAMETERS, auth=[])
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=OrganisationInput, responses={201: OrganisationOutput})
    def post(self, request, *args, **kwargs):
        data = OrganisationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organisation = services.organisation_create(
            creator=request.user,
            name=values.pop("name"),
            country=values.pop("country"),
            kind=values.pop("kind"),
            stages=values.pop("stages", []),
            fields=values.pop("fields", []),
            **{k: v for k, v in values.items() if v is not None},
        )
        organisation = selectors.organisation_get_visible(viewer=request.user, slug=organisation.slug)
        return Response(OrganisationOutput(organisation, context={"request": request}).data, status=status.HTTP_201_CREATED)


class OrganisationDetailApi(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=OrganisationOutput, auth=[])
    def get(self, request, slug):
        organisation = selectors.organisation_get_visible(viewer=request.user, slug=slug)
        return Response(OrganisationOutput(organisation, context={"request": request}).data)

    @extend_schema(request=OrganisationInput(partial=True), responses=OrganisationOutput)
    def patch(self, request, slug):
        organisation = get_object_or_404(selectors.organisation_list_visible(viewer=request.user), slug=slug)
        if not permissions.has(request.user, "community.change_organisation", organisation):
            raise PermissionDenied(_("Only the organisation's admins can change it."))
        data = OrganisationInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        stages, fields = values.pop("stages", None), values.pop("fields", None)
        for blankable in ("latitude", "longitude"):
            if blankable in values and values[blankable] is None:
                values[blankable] = None
        services.organisation_update(actor=request.user, organisation=organisation, stages=stages, fields=fields, **values)
        organisation = selectors.organisation_get_visible(viewer=request.user, slug=slug)
        return Response(OrganisationOutput(organisation, context={"request": request}).data)
