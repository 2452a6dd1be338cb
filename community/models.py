from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from community.countries import EuropeanCountries


class Stage(models.Model):
    """A step of the value chain; the five are seeded and editable in the admin."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("value-chain stage")
        verbose_name_plural = _("value-chain stages")

    def __str__(self) -> str:
        return self.name


class Field(models.Model):
    """A modality or technology of health biomanufacturing: the shared taxonomy."""

    class Category(models.TextChoices):
        MODALITY = "modality", _("Modality")
        TECHNOLOGY = "technology", _("Technology")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.TextField(_("description"), blank=True)
    euroscivoc_code = models.CharField(
        _("euroSciVoc code"),
        max_length=60,
        blank=True,
        help_text=_("The matching CORDIS euroSciVoc code, when there is one."),
    )
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_("Words that tag text with this field, one per line."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["category", "position", "name"]
        verbose_name = _("field")
        verbose_name_plural = _("fields")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        # Emails are compared without case, as the unique constraint does.
        return self.get(email__iexact=email)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person; the email address is the login."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Anyone, including visitors who are not signed in")
        MEMBERS = "members", _("Members of the platform")
        COLLEAGUES = "colleagues", _("Only people of my organisations")

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/%Y/%m/", blank=True)
    bio = models.TextField(_("about me"), max_length=2000, blank=True)
    interests = models.ManyToManyField(
        Field, verbose_name=_("fields of interest"), blank=True, related_name="interested_users"
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Brussels")
    profile_visibility = models.CharField(
        _("who may see my profile"),
        max_length=20,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
    )
    notification_preferences = models.JSONField(_("notification preferences"), default=dict, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.display_name or self.email.split("@")[0]

    def get_full_name(self) -> str:
        return str(self)

    def get_short_name(self) -> str:
        return str(self)

    @property
    def email_domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower()


class Organisation(models.Model):
    """An actor of the sector: the directory's unit."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        CDMO = "cdmo", _("CDMO")
        RESEARCH = "research", _("University or research institute")
        TRAINING = "training", _("Training centre")
        HOSPITAL = "hospital", _("Hospital")
        CLUSTER = "cluster", _("Cluster or network")
        AUTHORITY = "authority", _("Public authority")
        INVESTOR = "investor", _("Investor")
        OTHER = "other", _("Other")

    class SizeBand(models.TextChoices):
        UNKNOWN = "", _("Not stated")
        MICRO = "micro", _("1 to 9 people")
        SMALL = "small", _("10 to 49 people")
        MEDIUM = "medium", _("50 to 249 people")
        LARGE = "large", _("250 people or more")

    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMPANY)
    country = CountryField(_("country"), countries=EuropeanCountries, db_index=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    offers = models.TextField(
        _("what we offer"),
        max_length=3000,
        blank=True,
        help_text=_("Services, capacity, expertise or equipment others can ask you for."),
    )
    stages = models.ManyToManyField(
        Stage, verbose_name=_("value-chain stages"), blank=True, related_name="organisations"
    )
    fields = models.ManyToManyField(
        Field, verbose_name=_("fields"), blank=True, related_name="organisations"
    )
    size_band = models.CharField(
        _("size"), max_length=10, choices=SizeBand.choices, default=SizeBand.UNKNOWN, blank=True
    )
    logo = models.ImageField(_("logo"), upload_to="logos/%Y/%m/", blank=True)
    verified = models.BooleanField(
        _("verified"), default=False, help_text=_("Set by platform admins once the actor is checked.")
    )
    claimed = models.BooleanField(
        _("claimed"), default=True, help_text=_("Imported actors start unclaimed.")
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=40, blank=True, db_index=True)
    source_id = models.CharField(_("id at the source"), max_length=120, blank=True)
    # Derived by services.organisation_index(): folded text for search and de-duplication.
    website_domain = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    normalised_name = models.CharField(max_length=255, blank=True, editable=False)
    search_document = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(_("listed on"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    members = models.ManyToManyField(
        User, through="OrganisationMembership", related_name="organisations", blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        permissions = [
            ("manage_organisation_members", _("Can manage the organisation's members")),
            ("publish_calls", _("Can publish partnership calls and decide on their responses")),
        ]
        indexes = [
            models.Index(fields=["normalised_name", "country"], name="org_name_country_idx"),
            models.Index(fields=["source", "source_id"], name="org_source_idx"),
            models.Index(fields=["kind", "country"], name="org_kind_country_idx"),
            # The directory's default order, whole and within a country.
            models.Index(fields=["name", "id"], name="org_name_idx"),
            models.Index(fields=["country", "name", "id"], name="org_country_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("community:organisation-detail", kwargs={"slug": self.slug})


class OrganisationMembership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="organisation_memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    listed = models.BooleanField(
        _("show me on the organisation's page"),
        default=True,
        help_text=_("Shown only to people who may see your profile."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("organisation membership")
        verbose_name_plural = _("organisation memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="org_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class ClaimRequest(models.Model):
    """A request to take over an imported organisation, decided by a platform admin."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="claim_requests")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="claim_requests")
    message = models.TextField(_("message"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("claim request")
        verbose_name_plural = _("claim requests")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=models.Q(status="pending"),
                name="claim_one_pending_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} claims {self.organisation}"


class CoverageTarget(models.Model):
    """How many actors a country's sector is estimated to have: the 90% goal's denominator."""

    country = CountryField(_("country"), countries=EuropeanCountries, unique=True)
    estimated_actors = models.PositiveIntegerField(_("estimated actors in the sector"))
    source = models.CharField(_("source of the estimate"), max_length=300, blank=True)

    class Meta:
        ordering = ["country"]
        verbose_name = _("coverage target")
        verbose_name_plural = _("coverage targets")

    def __str__(self) -> str:
        return f"{self.country}: {self.estimated_actors}"
