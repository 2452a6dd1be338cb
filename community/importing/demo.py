"""The quick start's demo data: real organisations, invented people.

`load_demo()` imports community/demo/organisations.json through the import
(source "demo"), then creates a handful of demo people with verified emails
and four demo organisations through the services, so their admins hold real
guardian permissions. Every step looks before it writes: a second run changes
nothing. The password is the same for every demo account and is printed by
`manage.py demo_banner`; `load_demo` refuses to run with debug off unless
forced, so a production site never gets a superuser with a published password.
"""

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from community import services
from community.importing.engine import ImportResult, import_organisations
from community.models import Field, Organisation, OrganisationMembership, Stage, User

FIXTURE = Path(__file__).resolve().parents[1] / "demo" / "organisations.json"
SOURCE = "demo"
PASSWORD = "biomanufacturing-demo"  # noqa: S105 (a demo password, printed on purpose)
ADMIN_EMAIL = "admin@demo.example"
DEMO_EMAIL = "alex.martin@demo.example"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    display_name: str
    job_title: str
    interests: tuple[str, ...] = ()
    platform_admin: bool = False


PEOPLE = (
    DemoPerson(ADMIN_EMAIL, "Platform Admin", "Platform administrator", (), platform_admin=True),
    DemoPerson(DEMO_EMAIL, "Alex Martin", "Process development scientist", ("viral-vectors", "gene-therapy", "downstream-processing")),
    DemoPerson("maria.rossi@demo.example", "Maria Rossi", "Head of manufacturing", ("monoclonal-antibodies", "fill-finish", "single-use")),
    DemoPerson("jan.novak@demo.example", "Jan Novák", "QC analytics lead", ("analytics-qc", "gmp-quality")),
    DemoPerson("sofia.lindberg@demo.example", "Sofia Lindberg", "Training coordinator", ("cell-therapy", "gmp-quality")),
    DemoPerson("pierre.dubois@demo.example", "Pierre Dubois", "Business development manager", ("vaccines", "mrna")),
    DemoPerson("anna.schmidt@demo.example", "Anna Schmidt", "Cluster manager", ("digitalisation", "sustainability")),
)  # fmt: skip


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    country: str
    kind: str
    admin: str
    members: tuple[str, ...]
    stages: tuple[str, ...]
    fields: tuple[str, ...]
    attributes: dict


ORGANISATIONS = (
    DemoOrganisation(
        name="Danube Vector Works",
        country="AT",
        kind="cdmo",
        admin=DEMO_EMAIL,
        members=("jan.novak@demo.example",),
        stages=("process-development", "production"),
        fields=("viral-vectors", "gene-therapy", "plasmid-dna", "fill-finish"),
        attributes={
            "city": "Vienna",
            "latitude": 48.2082,
            "longitude": 16.3738,
            "website": "https://danube-vectors.example/",
            "size_band": "medium",
            "description": "A demo CDMO for AAV and lentiviral vectors, from plasmid to filled vials (invented for the demo).",
            "offers": "GMP AAV batches up to 200 L, process development, fill-finish of viral vectors.",
        },
    ),
    DemoOrganisation(
        name="Nordic Antibody Manufacturing",
        country="DK",
        kind="cdmo",
        admin="maria.rossi@demo.example",
        members=(DEMO_EMAIL, "jan.novak@demo.example"),
        stages=("process-development", "production"),
        fields=(
            "monoclonal-antibodies",
            "upstream-processing",
            "downstream-processing",
            "single-use",
        ),
        attributes={
            "city": "Copenhagen",
            "latitude": 55.6761,
            "longitude": 12.5683,
            "website": "https://nordic-antibodies.example/",
            "size_band": "large",
            "description": "A demo manufacturer of monoclonal antibodies in single-use 2,000 L bioreactors (invented for the demo).",
            "offers": "Clinical and commercial antibody supply, technology transfer.",
        },
    ),
    DemoOrganisation(
        name="Iberian Bioprocess Academy",
        country="ES",
        kind="training",
        admin="sofia.lindberg@demo.example",
        members=("pierre.dubois@demo.example",),
        stages=("training",),
        fields=("gmp-quality", "cell-therapy", "downstream-processing"),
        attributes={
            "city": "Barcelona",
            "latitude": 41.3874,
            "longitude": 2.1686,
            "website": "https://iberian-bioprocess.example/",
            "size_band": "small",
            "description": "A demo training centre with a teaching clean room (invented for the demo).",
            "offers": "GMP and aseptic processing courses, hands-on downstream training.",
        },
    ),
    DemoOrganisation(
        name="Rhine BioCluster",
        country="DE",
        kind="cluster",
        admin="anna.schmidt@demo.example",
        members=("maria.rossi@demo.example", "pierre.dubois@demo.example"),
        stages=("research", "process-development", "production", "post-commercialisation"),
        fields=("digitalisation", "sustainability", "continuous-processing"),
        attributes={
            "city": "Mannheim",
            "latitude": 49.4875,
            "longitude": 8.4660,
            "website": "https://rhine-biocluster.example/",
            "size_band": "micro",
            "description": "A demo cluster of biomanufacturers along the Rhine (invented for the demo).",
            "offers": "Partner search, shared pilot plant, joint training.",
        },
    ),
)


@dataclass
class DemoResult:
    imported: ImportResult
    people_created: int = 0
    organisations_created: int = 0
    memberships_created: int = 0


def load_demo() -> DemoResult:
    result = DemoResult(imported=import_organisations(path=FIXTURE, source=SOURCE, fmt="json"))
    with transaction.atomic():
        people = {p.email: _person(p, result) for p in PEOPLE}
        for spec in ORGANISATIONS:
            _organisation(spec, people, result)
    return result


def _person(spec: DemoPerson, result: DemoResult) -> User:
    from allauth.account.models import EmailAddress

    user = User.objects.filter(email__iexact=spec.email).first()
    if user is None:
        extra = {"display_name": spec.display_name, "job_title": spec.job_title}
        if spec.platform_admin:
            user = User.objects.create_superuser(spec.email, PASSWORD, **extra)
        else:
            user = User.objects.create_user(spec.email, PASSWORD, **extra)
        user.interests.set(Field.objects.filter(slug__in=spec.interests))
        result.people_created += 1
    # allauth lets only verified addresses sign in (ACCOUNT_EMAIL_VERIFICATION = "mandatory").
    if not EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists():
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
    return user


def _organisation(
    spec: DemoOrganisation, people: dict[str, User], result: DemoResult
) -> Organisation:
    admin = people[spec.admin]
    organisation = Organisation.objects.filter(name=spec.name, country=spec.country).first()
    if organisation is None:
        organisation = services.organisation_create(
            creator=admin,
            name=spec.name,
            country=spec.country,
            kind=spec.kind,
            stages=Stage.objects.filter(slug__in=spec.stages),
            fields=Field.objects.filter(slug__in=spec.fields),
            **spec.attributes,
        )
        result.organisations_created += 1
    for email in spec.members:
        user = people[email]
        if not OrganisationMembership.objects.filter(organisation=organisation, user=user).exists():
            services.organisation_member_add(actor=admin, organisation=organisation, user=user)
            result.memberships_created += 1
    return organisation
