"""Demo content for the quick start: news, stories, events and a panorama, marked as demo.

Run by `manage.py load_demo` after the demo organisations exist. Facts about
authorised medicines come from the EMA medicines data shipped with the project
(as of about May 2025, "Source: European Medicines Agency"); everything about
the demo organisations is invented and says so. A second run changes nothing:
pages are looked up by their slug under their parent.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from wagtail.rich_text import RichText

from community.models import Field, Organisation, Stage

EMA_SOURCE = "European Medicines Agency, medicines data (as of May 2025)."
DEMO_NOTE = "<p><em>Demo content written for the quick start of the platform.</em></p>"


@dataclass
class DemoResult:
    created: int = 0


def _p(*paragraphs: str):
    return [("paragraph", RichText("".join(f"<p>{p}</p>" for p in paragraphs)))]


def _demo_note():
    return [("paragraph", RichText(DEMO_NOTE))]


def _orgs(*names: str) -> list[Organisation]:
    found = {o.name: o for o in Organisation.objects.filter(name__in=names)}
    return [found[n] for n in names if n in found]


@dataclass
class Spec:
    slug: str
    title: str
    intro: str
    body: list
    fields: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    days_ago: int = 0
    extra: dict = field(default_factory=dict)


def _child(parent, model, slug: str):
    return model.objects.child_of(parent).filter(slug=slug).first()


def _publish(page, *, published_at=None):
    if published_at is not None and page.first_published_at is None:
        page.first_published_at = published_at
    page.save_revision().publish()
    if published_at is not None:
        # Backdated, so the demo's news reads as a week of publishing rather than one minute.
        type(page).objects.filter(pk=page.pk).update(last_published_at=published_at)
        page.last_published_at = published_at
    return page


def _ensure_index(home, model, *, slug: str, title: str, intro: str, result: DemoResult):
    page = _child(home, model, slug)
    if page is None:
        page = home.add_child(instance=model(title=title, slug=slug, intro=intro, live=False))
        _publish(page)
        result.created += 1
    return page


def _ensure_tagged(parent, model, spec: Spec, result: DemoResult):
    page = _child(parent, model, spec.slug)
    if page is not None:
        return page
    page = model(
        title=spec.title, slug=spec.slug, intro=spec.intro, body=spec.body, live=False, **spec.extra
    )
    page.fields = list(Field.objects.filter(slug__in=spec.fields))
    page.stages = list(Stage.objects.filter(slug__in=spec.stages))
    parent.add_child(instance=page)
    _publish(page, published_at=timezone.now() - timedelta(days=spec.days_ago, hours=3))
    result.created += 1
    return page


def _news() -> list[Spec]:
    aav = [
        ("Glybera (alipogene tiparvovec)", "25 October 2012", "later expired"),
        ("Luxturna (voretigene neparvovec)", "22 November 2018", "authorised"),
        ("Zolgensma (onasemnogene abeparvovec)", "18 May 2020", "authorised"),
        ("Upstaza (eladocagene exuparvovec)", "18 July 2022", "authorised"),
        ("Roctavian (valoctocogene roxaparvovec)", "24 August 2022", "authorised"),
        ("Hemgenix (etranacogene dezaparvovec)", "20 February 2023", "authorised"),
        ("Beqvez (fidanacogene elaparvovec)", "24 July 2024", "authorised"),
    ]
    car_t = [
        ("Kymriah (tisagenlecleucel)", "23 August 2018"),
        ("Yescarta (axicabtagene ciloleucel)", "23 August 2018"),
        ("Tecartus (brexucabtagene autoleucel)", "14 December 2020"),
        ("Abecma (idecabtagene vicleucel)", "18 August 2021"),
        ("Breyanzi (lisocabtagene maraleucel)", "4 April 2022"),
        ("Carvykti (ciltacabtagene autoleucel)", "25 May 2022"),
    ]
    aav_list = "".join(
        f"<li>{name}: marketing authorisation on {date}{' (' + note + ')' if note != 'authorised' else ''}</li>"
        for name, date, note in aav
    )
    car_t_list = "".join(f"<li>{name}: {date}</li>" for name, date in car_t)
    return [
        Spec(
            slug="aav-gene-therapies-in-the-eu",
            title="AAV gene therapies in the EU: seven marketing authorisations since 2012",
            intro=(
                "From Glybera in 2012 to Beqvez in 2024, seven gene therapies delivered by an adeno-associated "
                "viral (AAV) vector have received an EU marketing authorisation, according to EMA's medicines data."
            ),
            body=[
                ("heading", {"text": "The authorisations", "level": "h2"}),
                (
                    "paragraph",
                    RichText(
                        f"<p>EMA's medicines data lists these AAV-based medicines with their EU marketing authorisation dates:</p><ul>{aav_list}</ul>"
                    ),
                ),
                (
                    "fact_box",
                    {
                        "title": "AAV gene therapies in the EU",
                        "facts": [
                            {"figure": "7", "label": "marketing authorisations, 2012 to 2024"},
                            {"figure": "6", "label": "still authorised in May 2025"},
                            {"figure": "2012", "label": "the first: Glybera"},
                        ],
                        "source": EMA_SOURCE,
                    },
                ),
                *_p(
                    "Each of these medicines depends on a supply of GMP viral vector, which is why vector "
                    "capacity, analytics and fill-finish appear so often in the platform's partnership calls."
                ),
                (
                    "linked_actors",
                    {
                        "title": "Marketing authorisation holders in the directory",
                        "organisations": _orgs(
                            "Novartis Europharm Limited",
                            "PTC Therapeutics International Limited",
                            "BioMarin International Limited",
                            "CSL Behring GmbH",
                            "Pfizer Europe MA EEIG",
                        ),
                        "workgroups": [],
                    },
                ),
                (
                    "paragraph",
                    RichText(
                        f"<p><em>Source: {EMA_SOURCE} Summary written for the demo of the platform.</em></p>"
                    ),
                ),
            ],
            fields=("viral-vectors", "gene-therapy", "gmp-quality"),
            stages=("post-commercialisation",),
            days_ago=2,
        ),
        Spec(
            slug="car-t-therapies-in-the-eu",
            title="Six CAR-T cell therapies authorised in the EU since 2018",
            intro=(
                "Kymriah and Yescarta were authorised on the same day in August 2018; four more CAR-T cell "
                "therapies followed by 2022. Each is made from the patient's own T cells, modified with a viral vector."
            ),
            body=[
                (
                    "paragraph",
                    RichText(
                        f"<p>EMA's medicines data lists these CAR-T cell therapies and their EU marketing authorisation dates:</p><ul>{car_t_list}</ul>"
                    ),
                ),
                (
                    "fact_box",
                    {
                        "title": "CAR-T in the EU",
                        "facts": [
                            {"figure": "6", "label": "CAR-T therapies authorised, 2018 to 2022"},
                            {"figure": "2", "label": "authorised on 23 August 2018"},
                        ],
                        "source": EMA_SOURCE,
                    },
                ),
                (
                    "linked_actors",
                    {
                        "title": "Marketing authorisation holders in the directory",
                        "organisations": _orgs(
                            "Novartis Europharm Limited",
                            "Kite Pharma EU B.V.",
                            "Bristol-Myers Squibb Pharma EEIG",
                            "Janssen-Cilag International NV",
                        ),
                        "workgroups": [],
                    },
                ),
                (
                    "paragraph",
                    RichText(
                        f"<p><em>Source: {EMA_SOURCE} Summary written for the demo of the platform.</em></p>"
                    ),
                ),
            ],
            fields=("cell-therapy", "viral-vectors"),
            stages=("production", "post-commercialisation"),
            days_ago=6,
        ),
        Spec(
            slug="demo-danube-vector-works-aav-suite",
            title="Danube Vector Works opens a 200 L AAV suite (demo)",
            intro="A demo CDMO in Vienna adds GMP capacity for AAV vectors, from plasmid to filled vials. Invented for the demo.",
            body=[
                *_p(
                    "Danube Vector Works, a demo organisation of the platform, reports a new suite for AAV batches of up to 200 L, "
                    "with downstream purification and fill-finish on the same site."
                ),
                (
                    "quote",
                    {
                        "quote": "We built the suite around the requests we received through partnership calls.",
                        "attribution": "Alex Martin",
                        "role": "Danube Vector Works (demo person)",
                    },
                ),
                (
                    "linked_actors",
                    {"title": "", "organisations": _orgs("Danube Vector Works"), "workgroups": []},
                ),
                *_demo_note(),
            ],
            fields=("viral-vectors", "fill-finish", "downstream-processing"),
            stages=("production",),
            days_ago=1,
        ),
        Spec(
            slug="demo-partnership-calls-open",
            title="Partnership calls: publish what you offer or seek (demo)",
            intro="Members can publish capacity offers, technology requests and consortium calls, and answer them on behalf of their organisation.",
            body=[
                *_p(
                    "A call says what an organisation offers or seeks, in which fields and value-chain stages, and until when. "
                    "Members whose organisation matches see it under “Calls for you”, with the reasons."
                ),
                (
                    "call_to_action",
                    {
                        "text": "Browse the open calls",
                        "page": None,
                        "url": "/calls/",
                        "style": "primary",
                    },
                ),
                *_demo_note(),
            ],
            fields=(),
            stages=(),
            days_ago=10,
        ),
    ]


def _stories() -> list[Spec]:
    return [
        Spec(
            slug="demo-vector-supply-partnership",
            title="From plasmid to filled vials: a vector supply partnership (demo)",
            intro=(
                "How a demo CDMO and a demo training centre met through a partnership call and trained operators "
                "for aseptic fill-finish of viral vectors. Invented for the demo."
            ),
            body=[
                ("heading", {"text": "The call", "level": "h2"}),
                *_p(
                    "Danube Vector Works needed trained operators for its new fill-finish line. It published a training "
                    "request on the platform; Iberian Bioprocess Academy answered within a week."
                ),
                ("heading", {"text": "What they did", "level": "h2"}),
                *_p(
                    "Three cohorts of operators trained in the academy's teaching clean room, then qualified on site."
                ),
                (
                    "fact_box",
                    {
                        "title": "In figures (demo)",
                        "facts": [
                            {"figure": "3", "label": "cohorts trained"},
                            {"figure": "24", "label": "operators qualified"},
                        ],
                        "source": "Invented for the demo.",
                    },
                ),
                (
                    "quote",
                    {
                        "quote": "The call made it easy to find a partner that already taught aseptic processing.",
                        "attribution": "Sofia Lindberg",
                        "role": "Iberian Bioprocess Academy (demo person)",
                    },
                ),
                *_demo_note(),
            ],
            fields=("viral-vectors", "fill-finish", "gmp-quality"),
            stages=("training", "production"),
            days_ago=4,
            extra={"_organisations": ("Danube Vector Works", "Iberian Bioprocess Academy")},
        ),
        Spec(
            slug="demo-continuous-downstream-consortium",
            title="A cluster-led consortium for continuous downstream processing (demo)",
            intro=(
                "A demo cluster gathered a CDMO, an analytics lab and a university around a shared pilot plant for "
                "continuous downstream processing. Invented for the demo."
            ),
            body=[
                *_p(
                    "Rhine BioCluster used a consortium call to assemble partners for a funding application on continuous "
                    "and digitalised downstream processing. Nordic Antibody Manufacturing joined to run demonstration batches."
                ),
                ("heading", {"text": "Lessons", "level": "h2"}),
                *_p(
                    "Writing the call around concrete work packages brought answers from organisations the cluster had not met before."
                ),
                *_demo_note(),
            ],
            fields=("continuous-processing", "downstream-processing", "monoclonal-antibodies"),
            stages=("research", "process-development"),
            days_ago=12,
            extra={"_organisations": ("Rhine BioCluster", "Nordic Antibody Manufacturing")},
        ),
    ]


def _at(days: int, hour: int, minute: int, zone: str) -> datetime:
    day = (timezone.now() + timedelta(days=days)).astimezone(ZoneInfo(zone)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))


def _events() -> list[Spec]:
    return [
        Spec(
            slug="demo-viral-vector-workshop-vienna",
            title="Viral vector manufacturing workshop (demo)",
            intro="A one-day workshop on AAV and lentiviral vector production, analytics and fill-finish, with a visit of the suite. Invented for the demo.",
            body=[
                *_p(
                    "Morning: upstream and downstream processing of AAV. Afternoon: analytics for release, and a visit."
                ),
                *_demo_note(),
            ],
            fields=("viral-vectors", "analytics-qc", "fill-finish"),
            stages=("process-development", "production"),
            extra={
                "starts_at": _at(21, 9, 30, "Europe/Vienna"),
                "ends_at": _at(21, 17, 0, "Europe/Vienna"),
                "time_zone": "Europe/Vienna",
                "attendance": "in-person",
                "venue": "Danube Vector Works (demo)",
                "city": "Vienna",
                "country": "AT",
                "registration_url": "https://danube-vectors.example/workshop",
                "_organiser": "Danube Vector Works",
            },
        ),
        Spec(
            slug="demo-webinar-gmp-for-atmps",
            title="Webinar: GMP for advanced therapy medicinal products (demo)",
            intro="Ninety minutes on GMP requirements specific to ATMPs, for people moving from biologics to cell and gene therapies. Invented for the demo.",
            body=[
                *_p("Questions are welcome in the chat; slides are shared afterwards."),
                *_demo_note(),
            ],
            fields=("gmp-quality", "cell-therapy", "gene-therapy"),
            stages=("training",),
            extra={
                "starts_at": _at(10, 15, 0, "Europe/Madrid"),
                "ends_at": _at(10, 16, 30, "Europe/Madrid"),
                "time_zone": "Europe/Madrid",
                "attendance": "online",
                "online_url": "https://iberian-bioprocess.example/webinar",
                "registration_url": "https://iberian-bioprocess.example/webinar/register",
                "_organiser": "Iberian Bioprocess Academy",
            },
        ),
        Spec(
            slug="demo-continuous-bioprocessing-day",
            title="Continuous bioprocessing day (demo)",
            intro="Talks and a pilot-plant tour on continuous upstream and downstream processing, in Mannheim and online. Invented for the demo.",
            body=[
                *_p("Morning talks are streamed; the afternoon tour is on site only."),
                *_demo_note(),
            ],
            fields=("continuous-processing", "downstream-processing", "digitalisation"),
            stages=("research", "process-development"),
            extra={
                "starts_at": _at(45, 9, 0, "Europe/Berlin"),
                "ends_at": _at(45, 17, 30, "Europe/Berlin"),
                "time_zone": "Europe/Berlin",
                "attendance": "hybrid",
                "venue": "Rhine BioCluster pilot plant (demo)",
                "city": "Mannheim",
                "country": "DE",
                "online_url": "https://rhine-biocluster.example/live",
                "registration_url": "https://rhine-biocluster.example/continuous-day",
                "_organiser": "Rhine BioCluster",
            },
        ),
    ]


def _panorama_body():
    return [
        *_p(
            "Viral vectors carry genes into cells: adeno-associated viruses (AAV) for in vivo gene therapies, lentiviral and "
            "gammaretroviral vectors to modify cells outside the body, such as CAR-T cells. Their manufacture spans plasmid "
            "production, cell culture, purification, analytics and fill-finish."
        ),
        (
            "fact_box",
            {
                "title": "Medicines that depend on viral vectors in the EU",
                "facts": [
                    {"figure": "7", "label": "AAV gene therapies authorised since 2012"},
                    {"figure": "6", "label": "CAR-T cell therapies authorised since 2018"},
                ],
                "source": EMA_SOURCE,
            },
        ),
        *_p(
            "The figures, map, calls and news below are live: they come from the directory and the platform as they are today."
        ),
        *_demo_note(),
    ]


@transaction.atomic
def load() -> int:
    """Creates what is missing; returns how many pages were created."""
    from cms.models import (
        EventIndexPage,
        EventPage,
        HomeFeaturedStory,
        HomePage,
        NewsArticlePage,
        NewsIndexPage,
        PanoramaIndexPage,
        PanoramaPage,
        StoryIndexPage,
        StoryOrganisation,
        StoryPage,
    )

    result = DemoResult()
    home = HomePage.objects.first()
    if home is None:
        return 0
    news = _ensure_index(
        home,
        NewsIndexPage,
        slug="news",
        title="News",
        intro="News of Europe's health biomanufacturing sector and of the platform.",
        result=result,
    )
    stories = _ensure_index(
        home,
        StoryIndexPage,
        slug="stories",
        title="Success stories",
        intro="Partnerships and projects that started on the platform.",
        result=result,
    )
    events = _ensure_index(
        home,
        EventIndexPage,
        slug="events",
        title="Events",
        intro="Workshops, webinars and conferences of the sector.",
        result=result,
    )
    panoramas = _ensure_index(
        home,
        PanoramaIndexPage,
        slug="panorama",
        title="Panoramas",
        intro="Sector overviews with the platform's live figures.",
        result=result,
    )

    for spec in _news():
        _ensure_tagged(news, NewsArticlePage, spec, result)

    story_pages = []
    for spec in _stories():
        names = spec.extra.pop("_organisations", ())
        existing = _child(stories, StoryPage, spec.slug)
        if existing is None:
            spec_page = StoryPage(
                title=spec.title, slug=spec.slug, intro=spec.intro, body=spec.body, live=False
            )
            spec_page.fields = list(Field.objects.filter(slug__in=spec.fields))
            spec_page.stages = list(Stage.objects.filter(slug__in=spec.stages))
            spec_page.featured_organisations = [
                StoryOrganisation(organisation=o) for o in _orgs(*names)
            ]
            stories.add_child(instance=spec_page)
            _publish(spec_page, published_at=timezone.now() - timedelta(days=spec.days_ago))
            result.created += 1
            existing = spec_page
        story_pages.append(existing)

    for spec in _events():
        organiser = spec.extra.pop("_organiser", "")
        spec.extra["organiser"] = Organisation.objects.filter(name=organiser).first()
        _ensure_tagged(events, EventPage, spec, result)

    if _child(panoramas, PanoramaPage, "viral-vectors-in-europe") is None:
        page = PanoramaPage(
            title="Viral vectors in Europe",
            slug="viral-vectors-in-europe",
            intro="Who makes, develops and uses viral vectors in Europe, where they are, and what they look for on the platform.",
            body=_panorama_body(),
            field=Field.objects.get(slug="viral-vectors"),
            live=False,
        )
        panoramas.add_child(instance=page)
        _publish(page)
        result.created += 1

    if not home.featured_stories.exists():
        home = home.specific
        home.featured_stories = [HomeFeaturedStory(story=s) for s in story_pages]
        _publish(home)
    return result.created
