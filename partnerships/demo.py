"""Demo calls for the quick start: invented, marked as demo, made through the services.

Run by `manage.py load_demo` after the demo organisations exist; a second run
changes nothing (calls are looked up by organisation and title).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from community.models import Field, Organisation, OrganisationMembership, Stage, User
from partnerships import services
from partnerships.models import Call, Response


@dataclass(frozen=True)
class DemoCall:
    organisation: str
    author: str
    kind: str
    title: str
    summary: str
    description: str
    stages: tuple[str, ...]
    fields: tuple[str, ...]
    countries: tuple[str, ...] = ()
    days: int = 45
    anonymous: bool = False
    topic_reference: str = ""
    questions: tuple[str, ...] = ()


CALLS = (
    DemoCall(
        organisation="Nordic Antibody Manufacturing",
        author="maria.rossi@demo.example",
        kind=Call.Kind.CAPACITY_OFFER,
        title="Single-use 2,000 L slots for clinical antibody batches",
        summary="Two 2,000 L single-use bioreactor slots free in the second quarter for phase I-II monoclonal antibody batches (demo call).",
        description="We can take **tech transfer** from April and release GMP batches in June.\n\n- 2,000 L single-use upstream\n- Protein A and polishing downstream\n- QP release in the EU\n\n*Invented for the demo.*",
        stages=("production",),
        fields=("monoclonal-antibodies", "upstream-processing", "single-use"),
        days=40,
    ),
    DemoCall(
        organisation="Rhine BioCluster",
        author="anna.schmidt@demo.example",
        kind=Call.Kind.CONSORTIUM,
        title="Consortium partners for continuous downstream processing",
        summary="A cluster-led consortium for a European funding call on continuous and digitalised downstream processing seeks a CDMO, an analytics lab and a university (demo call).",
        description="We bring a shared pilot plant and three SMEs. We look for:\n\n1. a CDMO to run the demonstration batches,\n2. a QC analytics partner for real-time release,\n3. a university group on process modelling.\n\n*Invented for the demo; the topic reference is fictitious.*",
        stages=("research", "process-development"),
        fields=("continuous-processing", "downstream-processing", "digitalisation"),
        countries=("DE", "AT", "NL", "BE", "FR"),
        days=60,
        topic_reference="DEMO-HLTH-2027-IND-01",
        questions=("Which part of the work plan would you lead?", "Have you worked in a funded consortium before?"),
    ),
    DemoCall(
        organisation="Rhine BioCluster",
        author="anna.schmidt@demo.example",
        kind=Call.Kind.CAPACITY_REQUEST,
        title="A viral-vector CDMO for a member's gene-therapy programme",
        summary="One of our members seeks GMP AAV manufacturing and fill-finish for a phase I gene therapy, from the third quarter; the member stays anonymous until we accept a response (demo call).",
        description="Batch size about 200 L, two batches in the first year, fill-finish in vials.\n\n*Invented for the demo.*",
        stages=("production",),
        fields=("viral-vectors", "gene-therapy", "fill-finish"),
        countries=("AT", "DE", "CH", "CZ"),
        days=30,
        anonymous=True,
    ),
    DemoCall(
        organisation="Iberian Bioprocess Academy",
        author="sofia.lindberg@demo.example",
        kind=Call.Kind.TRAINING,
        title="Host sites for hands-on aseptic processing training",
        summary="We seek manufacturers who can host groups of eight trainees for two-day aseptic processing and GMP gowning sessions (demo call).",
        description="We bring the trainers and the course material; you bring a clean-room training area.\n\n*Invented for the demo.*",
        stages=("training",),
        fields=("gmp-quality", "fill-finish", "cell-therapy"),
        days=75,
    ),
)

# (call title, responding organisation, author, message)
RESPONSES = (
    (
        "Single-use 2,000 L slots for clinical antibody batches",
        "Iberian Bioprocess Academy",
        "pierre.dubois@demo.example",
        "Could two of our trainees shadow the tech transfer? We would cover their costs (demo response).",
    ),
)


def load() -> int:
    """Creates what is missing; returns how many calls were created."""
    created = 0
    for spec in CALLS:
        organisation = Organisation.objects.filter(name=spec.organisation).first()
        author = User.objects.filter(email=spec.author).first()
        if organisation is None or author is None or Call.objects.filter(organisation=organisation, title=spec.title).exists():
            continue
        services.call_create(
            actor=author,
            organisation=organisation,
            kind=spec.kind,
            title=spec.title,
            summary=spec.summary,
            description=spec.description,
            topic_reference=spec.topic_reference,
            deadline=timezone.now() + timedelta(days=spec.days),
            stages=Stage.objects.filter(slug__in=spec.stages),
            fields=Field.objects.filter(slug__in=spec.fields),
            countries=spec.countries,
            anonymous=spec.anonymous,
            questions=list(spec.questions),
            publish=True,
        )
        created += 1
    for title, org_name, email, message in RESPONSES:
        call = Call.objects.filter(title=title, status=Call.Status.PUBLISHED).first()
        organisation = Organisation.objects.filter(name=org_name).first()
        author = User.objects.filter(email=email).first()
        if not (call and organisation and author):
            continue
        member = OrganisationMembership.objects.filter(organisation=organisation, user=author).exists()
        if member and not Response.objects.filter(call=call, organisation=organisation).exists():
            services.response_create(actor=author, call=call, organisation=organisation, message=message)
    return created
