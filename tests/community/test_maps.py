"""The map of Europe and the coverage page: geometry, counts, links, filters, query counts."""

from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

from community import coverage
from community.charts import class_of, classify, nice_ticks
from community.countries import EUROPE
from community.maps import GEOMETRY_FILE, europe_geometry
from community.models import CoverageTarget, Organisation, Stage
from tests.factories import OrganisationFactory


class _Links(HTMLParser):
    """Collects the map's country links (<a> inside the <svg>) and the table's rows."""

    def __init__(self):
        super().__init__()
        self.in_svg = False
        self.svg_links: dict[str, dict[str, str]] = {}
        self.table_hrefs: list[str] = []
        self.in_table = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg" and "choropleth" in (attrs.get("class") or ""):
            self.in_svg = True
        elif tag == "a" and self.in_svg and attrs.get("aria-label"):
            self.svg_links[attrs["aria-label"].split(":")[0]] = attrs
        elif tag == "table":
            self.in_table = True
        elif tag == "a" and self.in_table:
            self.table_hrefs.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "svg":
            self.in_svg = False
        elif tag == "table":
            self.in_table = False


def _parse(response) -> _Links:
    parser = _Links()
    parser.feed(response.content.decode())
    return parser


def _at(year: int, month: int, day: int = 15) -> datetime:
    # Noon UTC stays in the same month in Europe/Brussels.
    return datetime(year, month, day, 12, tzinfo=UTC)


def _with_stages(org: Organisation, *slugs: str) -> Organisation:
    org.stages.set(Stage.objects.filter(slug__in=slugs))
    return org


# Geometry


def test_geometry_draws_every_country_of_the_directory():
    codes = {s.code for s in europe_geometry().shapes}
    assert codes == set(EUROPE)
    assert all(s.path.startswith("M") for s in europe_geometry().shapes if not s.marker)
    assert {s.code for s in europe_geometry().shapes if s.marker} >= {"VA", "MC", "SM", "LI"}


def test_geometry_stays_small():
    assert GEOMETRY_FILE.stat().st_size < 150 * 1024


# Classes and chart geometry


def test_classes_rise_and_leave_zero_out():
    values = [0, 1, 1, 2, 3, 5, 8, 13, 40, 120, 900]
    classes = classify(values)
    assert 2 <= len(classes) <= 5
    assert classes[0].low == 1
    assert classes[-1].high == 900
    assert all(a.high + 1 == b.low for a, b in zip(classes, classes[1:], strict=False))
    assert [class_of(v, classes) for v in (0, 1, 900)] == [0, classes[0].index, 5]
    assert classify([0, 0]) == []


def test_ticks_cover_the_top_value():
    assert nice_ticks(790) == [0, 200, 400, 600, 800]
    assert nice_ticks(3) == [0, 1, 2, 3]
    assert nice_ticks(0) == [0, 1]


# The map


@pytest.mark.django_db
def test_map_links_every_country_with_its_count(client):
    OrganisationFactory.create_batch(3, country="DE")
    OrganisationFactory(country="FR")

    response = client.get("/map/")

    assert response.status_code == 200
    links = _parse(response).svg_links
    assert len(links) == len(EUROPE)
    assert links["Germany"]["aria-label"] == "Germany: 3 actors"
    assert links["Germany"]["href"] == "/directory/?country=DE"
    assert links["France"]["aria-label"] == "France: 1 actor"
    assert links["Spain"]["aria-label"] == "Spain: 0 actors"
    assert links["Spain"]["href"] == "/directory/?country=ES"
    body = response.content.decode()
    assert "<title>Germany: 3 actors</title>" in body
    assert "choro-0" in body  # countries without actors are grey


@pytest.mark.django_db
def test_map_counts_under_the_filters_and_keeps_them_in_its_links(client):
    _with_stages(OrganisationFactory(country="DE", kind="cdmo"), "production")
    _with_stages(OrganisationFactory(country="DE", kind="cdmo"), "research")
    _with_stages(OrganisationFactory(country="DE", kind="company"), "production")
    _with_stages(OrganisationFactory(country="IT", kind="cdmo"), "production", "training")

    response = client.get("/map/?stage=production&kind=cdmo&country=FR")

    parsed = _parse(response)
    assert parsed.svg_links["Germany"]["aria-label"] == "Germany: 1 actor"
    assert parsed.svg_links["Italy"]["aria-label"] == "Italy: 1 actor"
    # Each country's link replaces the country filter and keeps the others.
    assert (
        parsed.svg_links["Germany"]["href"] == "/directory/?country=DE&kind=cdmo&stage=production"
    )
    assert "/directory/?country=IT&kind=cdmo&stage=production" in parsed.table_hrefs
    assert "2 actors" in response.content.decode()


@pytest.mark.django_db
def test_map_table_sorts_by_count_then_by_name(client):
    OrganisationFactory.create_batch(2, country="AT")
    OrganisationFactory.create_batch(5, country="SE")
    OrganisationFactory(country="BE")

    by_count = _parse(client.get("/map/")).table_hrefs
    by_name = _parse(client.get("/map/?sort=name")).table_hrefs

    countries = [h for h in by_count if h.startswith("/directory/?country=")]
    assert countries == [
        "/directory/?country=SE",
        "/directory/?country=AT",
        "/directory/?country=BE",
    ]
    countries = [h for h in by_name if h.startswith("/directory/?country=")]
    assert countries == [
        "/directory/?country=AT",
        "/directory/?country=BE",
        "/directory/?country=SE",
    ]


@pytest.mark.django_db
def test_map_answers_htmx_with_the_map_alone(client):
    OrganisationFactory(country="PL")
    response = client.get("/map/?kind=company", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'aria-label="Poland: 1 actor"' in body
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_map_ignores_unknown_filters(client):
    OrganisationFactory(country="PT")
    response = client.get("/map/?stage=no-such-stage&kind=nonsense&field=Vaccines%20!")
    assert response.status_code == 200
    assert 'aria-label="Portugal: 1 actor"' in response.content.decode()


@pytest.mark.django_db
def test_map_of_an_empty_directory_says_so(client):
    body = client.get("/map/").content.decode()
    assert "The directory is empty" in body
    assert 'aria-label="Germany: 0 actors"' in body


@pytest.mark.django_db
def test_map_says_when_nothing_matches_the_filters(client):
    OrganisationFactory(country="DE", kind="company")
    body = client.get("/map/?kind=hospital").content.decode()
    assert "No actor matches these filters." in body
    assert "The directory is empty" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("n", [2, 40])
def test_map_queries_do_not_grow_with_the_directory(client, django_assert_max_num_queries, n):
    stages = list(Stage.objects.all())
    countries = EUROPE[:20]
    for i in range(n):
        org = OrganisationFactory(country=countries[i % len(countries)])
        org.stages.set(stages[: 1 + i % len(stages)])
    with django_assert_max_num_queries(6):
        assert client.get("/map/?stage=production&field=vaccines").status_code == 200


# Coverage


@pytest.mark.django_db
def test_country_by_stage_counts():
    _with_stages(OrganisationFactory(country="DE"), "production", "research")
    _with_stages(OrganisationFactory(country="DE"), "production")
    OrganisationFactory(country="DE")  # no stage stated
    _with_stages(OrganisationFactory(country="NL", claimed=True, verified=True), "training")

    table = coverage.country_stage_table()

    assert [r.code for r in table.rows] == ["DE", "NL"]
    germany = table.rows[0]
    cells = {c.stage.slug: c.count for c in germany.cells}
    assert cells == {
        "training": 0,
        "research": 1,
        "process-development": 0,
        "production": 2,
        "post-commercialisation": 0,
    }
    assert (germany.total, germany.unstaged, germany.claimed) == (3, 1, 0)
    netherlands = table.rows[1]
    assert (netherlands.total, netherlands.claimed, netherlands.verified) == (1, 1, 1)
    assert (
        dict(zip([s.slug for s in table.stages], table.stage_totals, strict=True))["production"]
        == 2
    )
    assert (table.total, table.unstaged) == (4, 1)
    assert germany.cells[3].heat > 0
    assert germany.cells[0].heat == 0


@pytest.mark.django_db
def test_growth_is_cumulative_month_by_month():
    OrganisationFactory(created_at=_at(2026, 1, 3))
    OrganisationFactory(created_at=_at(2026, 1, 28), claimed=True, claimed_at=_at(2026, 3, 2))
    OrganisationFactory(created_at=_at(2026, 3, 10))
    # Listed by its own members: claimed when listed.
    OrganisationFactory(created_at=_at(2026, 3, 20), claimed=True, claimed_at=None)

    months = coverage.growth_by_month(until=date(2026, 4, 30))

    assert [m.month for m in months] == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 4, 1),
    ]
    assert [m.listed for m in months] == [2, 0, 2, 0]
    assert [m.listed_total for m in months] == [2, 2, 4, 4]
    assert [m.claimed for m in months] == [0, 0, 2, 0]
    assert [m.claimed_total for m in months] == [0, 0, 2, 2]


@pytest.mark.django_db
def test_growth_of_an_empty_directory_is_empty():
    assert coverage.growth_by_month() == []


@pytest.mark.django_db
def test_progress_towards_the_goal(client):
    OrganisationFactory.create_batch(3, country="DE")
    OrganisationFactory.create_batch(2, country="FR")
    OrganisationFactory(country="IT")  # no estimate: left out of the figure
    CoverageTarget.objects.create(country="DE", estimated_actors=10, source="Survey 2025")
    CoverageTarget.objects.create(country="FR", estimated_actors=1)

    progress = coverage.coverage_progress(per_country={"DE": 3, "FR": 2, "IT": 1})

    rows = {r.code: r for r in progress.rows}
    assert rows["DE"].percent == 30.0
    assert (rows["FR"].percent, rows["FR"].bar_percent, rows["FR"].reached) == (200.0, 100.0, True)
    # France counts for its estimate only: (3 + 1) / (10 + 1).
    assert (progress.mapped, progress.estimated, progress.percent) == (4, 11, 36.4)

    body = client.get("/coverage/").content.decode()
    assert "36.4%" in body
    assert "Survey 2025" in body
    assert 'width="30.0"' in body  # Germany's bar


@pytest.mark.django_db
def test_coverage_page_shows_the_figures_and_links(client):
    _with_stages(OrganisationFactory(country="DE", created_at=_at(2026, 1)), "production")
    _with_stages(
        OrganisationFactory(
            country="DE", created_at=_at(2026, 2), claimed=True, claimed_at=_at(2026, 2)
        ),
        "production",
    )
    OrganisationFactory(country="BE", created_at=_at(2026, 2), verified=True)

    response = client.get("/coverage/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "/directory/?country=DE&amp;stage=production" in body
    assert 'class="num heat-' in body
    assert "<polyline" in body  # the growth chart
    assert "33.3%" in body  # claimed and verified shares: 1 of 3
    assert "No estimates entered yet." in body


@pytest.mark.django_db
def test_coverage_of_an_empty_directory(client):
    body = client.get("/coverage/").content.decode()
    assert "No estimates entered yet." in body
    assert "Nothing to chart yet" in body
    assert "<polyline" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("n", [2, 40])
def test_coverage_queries_do_not_grow_with_the_directory(client, django_assert_max_num_queries, n):
    stages = list(Stage.objects.all())
    countries = EUROPE[:25]
    for i in range(n):
        org = OrganisationFactory(
            country=countries[i % len(countries)],
            created_at=_at(2025 + i % 2, 1 + i % 12),
            claimed=i % 3 == 0,
            claimed_at=_at(2026, 1 + i % 12) if i % 3 == 0 else None,
        )
        org.stages.set(stages[: i % len(stages)])
    for code in countries[:n]:
        CoverageTarget.objects.create(country=code, estimated_actors=10)
    with django_assert_max_num_queries(8):
        assert client.get("/coverage/").status_code == 200


@pytest.mark.django_db
def test_svg_numbers_are_not_localised(client, settings):
    """A German decimal comma inside an SVG attribute would break the drawing."""
    OrganisationFactory.create_batch(3, country="LI", created_at=_at(2026, 1))
    CoverageTarget.objects.create(country="LI", estimated_actors=7)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    map_body = client.get("/map/").content.decode()
    coverage_body = client.get("/coverage/").content.decode()
    assert 'lang="de"' in coverage_body
    liechtenstein = next(s for s in europe_geometry().shapes if s.code == "LI")
    assert f'cx="{liechtenstein.centre[0]}"' in map_body  # a dot, not a comma
    assert 'width="42.9"' in coverage_body
    assert "42,9%" in coverage_body  # while the text is German


@pytest.mark.django_db
def test_coverage_points_platform_admins_to_the_estimates(admin_client):
    body = admin_client.get("/coverage/").content.decode()
    assert "/admin/community/coveragetarget/" in body
