"""The organisation import, on small files cut from the real open data (tests/community/fixtures)."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from community import selectors
from community.importing import ImportFailed, engine, import_organisations
from community.importing.cleaning import fix_mojibake, name_key, normalise_url
from community.importing.ema import clean_holder_name, holder_key, infer_country, medicine_fields
from community.importing.progress import Progress
from community.importing.readers import read_csv, sniff_delimiter
from community.models import Organisation
from tests.factories import OrganisationFactory, organisation_with_admin

FIXTURES = Path(__file__).parent / "fixtures"
GISCO = FIXTURES / "gisco_hospitals.csv"
LATIN1 = FIXTURES / "hospitals_latin1.csv"
UNIVERSITIES = FIXTURES / "universities.json"
EMA = FIXTURES / "ema_medicines.csv"

LATIN1_MAP = {
    "name": "Name of hospital",  # the header has a line break there
    "country": "Country code",
    "city": "Town",
    "website": "Web site",
    "source_id": "Identifier",
}


def gisco(**kwargs):
    return import_organisations(path=GISCO, preset="gisco-hospitals", **kwargs)


def org(name_startswith: str) -> Organisation:
    return Organisation.objects.get(name__startswith=name_startswith)


def stage_slugs(o: Organisation) -> set[str]:
    return set(o.stages.values_list("slug", flat=True))


def field_slugs(o: Organisation) -> set[str]:
    return set(o.fields.values_list("slug", flat=True))


# Pure functions: no database


class TestCleaning:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("www.krages.at", "http://www.krages.at"),
            ("http//:www.agathenhof.at", "http://www.agathenhof.at"),
            ("http://htttp.//www.ldn-praha6.cz/", "http://www.ldn-praha6.cz/"),
            ("http : //www.venizeleio.gr/", "http://www.venizeleio.gr/"),
            ("http://www,ldn-rybitvi.cz", "http://www.ldn-rybitvi.cz"),
            (
                "www.cliniquesdeleurope.be; www.europaziekenhuizen.be",
                "http://www.cliniquesdeleurope.be",
            ),
            ("HTTPS://WWW.CHU.FR/a page", "https://www.chu.fr/a%20page"),
            ("in constructie", None),
            (" 67065373 - māsu postenis ", None),
            ("spital_borsa@yahoo.com", None),
            ("http://localhost", None),
            ("ftp://files.example.org", None),
        ],
    )
    def test_urls_are_normalised_or_refused(self, raw, expected):
        assert normalise_url(raw) == expected

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (
                "National Orthopaedic Hospital Cappaghâ\x80\x99",
                "National Orthopaedic Hospital Cappagh’",
            ),
            ("CASA DI CURA CITTÃ€ DI ROVIGO", "CASA DI CURA CITTÀ DI ROVIGO"),
            ("CTRE DE CONSULTATION D\x92IMAGERIE", "CTRE DE CONSULTATION D’IMAGERIE"),
            ("Uherskohradiš\x9dská nemocnice a.s.", "Uherskohradišťská nemocnice a.s."),
            ("Ålands centralsjukhus", "Ålands centralsjukhus"),  # right already
            ("Hospital Beatriz Ângelo", "Hospital Beatriz Ângelo"),
            (
                "ISTITUTO S.S. TRINIT� - BORGOMANERO",
                "ISTITUTO S.S. TRINIT� - BORGOMANERO",
            ),  # lost at the source
        ],
    )
    def test_simple_mojibake_is_repaired_and_the_rest_kept(self, raw, expected):
        assert fix_mojibake(raw) == expected

    def test_greek_names_get_distinct_latin_keys(self):
        assert name_key('Γ.Ν.Θ. "ΙΠΠΟΚΡΑΤΕΙΟ"') == "g n th ippokrateio"
        assert name_key("Γ.Ν. ΧΑΛΚΙΔΙΚΗΣ") != name_key("Π.Γ.Ν.Θ. ΑΧΕΠΑ")

    def test_delimiter_is_sniffed(self):
        assert sniff_delimiter('a;b;"c, d"\n1;2;3\n') == ";"
        assert sniff_delimiter("a\tb\n1\t2\n") == "\t"
        assert sniff_delimiter('a,b,"c;\nd"\n1,2,3\n') == ","

    def test_latin1_file_with_a_line_break_in_the_header(self):
        records, header, encoding = read_csv(LATIN1)
        assert encoding == "cp1252"
        assert header[:2] == ["Name of hospital", "Country code"]
        assert records[0].data["Name of hospital"] == "CTRE DE RÉÉDUCATION MANGINI"
        assert records[0].line == 4  # the header takes lines 1 to 3


class TestEmaHolders:
    @pytest.mark.parametrize(
        ("name", "current", "country"),
        [
            ("Eli Lilly Nederland B.V.", True, "NL"),
            ("Takeda Pharmaceuticals International AG Ireland Branch", True, "IE"),
            ("AbbVie Deutschland GmbH & Co. KG", True, "DE"),
            ("Celltrion Healthcare Hungary Kft.", True, "HU"),
            ("Moderna Biotech Spain, S.L.", True, "ES"),
            ("Chiesi Farmaceutici S.p.A.", True, "IT"),
            ("Ipsen Pharma", True, "FR"),
            ("Alexion Europe SAS", True, "FR"),
            ("Novo Nordisk A/S", True, "DK"),
            ("GE Healthcare AS", True, "NO"),
            ("Swedish Orphan Biovitrum AB (publ)", True, "SE"),
            ("Santen Oy", True, "FI"),
            ("Zentiva, k.s.", True, "CZ"),
            ("Krka, d.d., Novo mesto", True, "SI"),
            ("Mabion Spolka Akcyjna", True, "PL"),
            ("Janssen-Cilag International NV", True, "BE"),
            ("Viatris Limited", True, "IE"),
            ("Gilead Sciences Ireland UC", True, "IE"),
            ("Glaxo Group Ltd", False, "GB"),  # a UK holder before Brexit
            ("Pfizer Europe MA EEIG", True, "BE"),  # a known holder
            ("Strides Pharma (Cyprus) Limited", True, "CY"),
            ("SERB SA", True, ""),  # S.A. is used in too many countries
            ("Novartis", True, ""),
        ],
    )
    def test_country_is_inferred_from_the_name(self, name, current, country):
        assert infer_country(name, current=current) == country

    def test_lost_ampersands_and_spellings_merge(self):
        assert (
            clean_holder_name("AbbVie Deutschland GmbH  Co. KG")
            == "AbbVie Deutschland GmbH & Co. KG"
        )
        assert clean_holder_name("Novartis Europharm Limited\xa0 ") == "Novartis Europharm Limited"
        assert holder_key("Merck Sharp and Dohme B.V") == holder_key("Merck Sharp & Dohme B.V.")
        assert holder_key("Novartis Europharm Ltd.") == holder_key("Novartis Europharm Limited")
        assert holder_key("Astellas Pharma Europe B. V.") == holder_key("Astellas Pharma Europe BV")

    @pytest.mark.parametrize(
        ("medicine", "expected"),
        [
            (
                {
                    "International non-proprietary name (INN) / common name": "adalimumab",
                    "Biosimilar": "Yes",
                },
                {"monoclonal-antibodies", "biosimilars"},
            ),
            (
                {
                    "International non-proprietary name (INN) / common name": "tisagenlecleucel",
                    "Advanced therapy": "Yes",
                },
                {"cell-therapy", "gene-therapy", "viral-vectors"},
            ),
            (
                {
                    "International non-proprietary name (INN) / common name": "onasemnogene abeparvovec",
                    "Advanced therapy": "Yes",
                },
                {"gene-therapy", "viral-vectors"},
            ),
            (
                {
                    "International non-proprietary name (INN) / common name": "COVID-19 mRNA vaccine;tozinameran",
                    "ATC code (human)": "J07BN01",
                },
                {"mrna", "vaccines"},
            ),
            (
                {"International non-proprietary name (INN) / common name": "insulin icodec"},
                {"recombinant-proteins"},
            ),
            (
                {"International non-proprietary name (INN) / common name": "agalsidase beta"},
                {"enzymes", "recombinant-proteins"},
            ),
            (
                {"International non-proprietary name (INN) / common name": "etanercept"},
                {"recombinant-proteins"},
            ),
            (
                {"International non-proprietary name (INN) / common name": "inclisiran"},
                {"oligonucleotides"},
            ),
            (
                {
                    "International non-proprietary name (INN) / common name": "human normal immunoglobulin"
                },
                {"plasma-derived"},
            ),
            ({"International non-proprietary name (INN) / common name": "tofacitinib"}, set()),
        ],
    )
    def test_fields_from_medicines(self, medicine, expected):
        assert medicine_fields(medicine) == expected


class TestProgress:
    def test_a_line_every_tenth_in_a_log(self):
        out = io.StringIO()
        bar = Progress(1000, stream=out, tty=False)
        for _ in range(100):
            bar.advance(10)
        bar.finish()
        lines = out.getvalue().splitlines()
        assert len(lines) == 10
        assert lines[-1].startswith("[" + "#" * 30 + "] 1,000/1,000 rows 100%")
        assert "/s" in lines[0] and "ETA" in lines[0]

    def test_redrawn_in_place_on_a_terminal(self):
        out = io.StringIO()
        bar = Progress(3, stream=out, tty=True)
        bar.advance(3)
        bar.finish()
        assert out.getvalue().startswith("\r[") and out.getvalue().count("\n") == 1


# The import, on the database


@pytest.mark.django_db
class TestGiscoHospitals:
    def test_counts_and_reasons(self):
        result = gisco()
        assert result.rows == 36
        assert result.rejected == 3
        assert result.reasons() == {"name missing": 1, "country missing": 2}
        # Sites of one hospital (same name and country) and a department on its
        # hospital's domain merge; four hospitals sharing krages.at do not.
        assert result.duplicates == 5
        assert result.created == 28 == Organisation.objects.count()
        assert result.reasons("duplicate") == {"same name and country": 4, "same website domain": 1}
        assert Organisation.objects.filter(website__contains="krages.at").count() == 4
        assert org("Landeskrankenhaus Laas").website == "http://www.lkh-laas.at"
        assert not Organisation.objects.filter(
            name__startswith="Abteilung für chronisch Kranke"
        ).exists()

    def test_rejected_rows_point_at_their_lines(self):
        result = gisco()
        by_reason = {(i.line, i.reason) for i in result.rejections}
        assert by_reason == {(34, "name missing"), (35, "country missing"), (37, "country missing")}

    def test_values_are_normalised(self):
        result = gisco()
        hospital = org("Landeskrankenhaus Güssing")
        assert (hospital.country, hospital.city, hospital.kind) == ("AT", "Güssing", "hospital")
        assert (hospital.latitude, hospital.longitude) == (47.049762, 16.3212708)
        assert (hospital.claimed, hospital.source, hospital.source_id) == (
            False,
            "gisco-hospitals",
            "AT_K104",
        )
        # Greece is EL at Eurostat; the overseas regions are France.
        greek = Organisation.objects.filter(country="GR")
        assert greek.count() == 5  # five hospitals, although their names fold to nothing in Latin
        assert {o.slug for o in greek} >= {"gnth-ippokrateio", "gn-chalkidikis"}
        assert Organisation.objects.filter(source_id__startswith="MQ_", country="FR").count() == 2
        assert org("EPSMR-GRAND POURPIER").country == "FR"
        assert org("CENTRE HOSPITALIER UNIVERSITAIRE DE POINTE").city == "Les Abymes"
        # Repaired: a mojibake name and a mistyped scheme; refused: non-URLs.
        assert Organisation.objects.filter(name="National Orthopaedic Hospital Cappagh’").exists()
        assert (
            org("Sonderkrankenanstalt und Gesundheitsresort Agathenhof").website
            == "http://www.agathenhof.at"
        )
        assert org("Spitalul Municipal Orsova").website == ""
        warnings = result.reasons("warning")
        assert warnings["website is not a valid URL, dropped"] == 2
        assert warnings["coordinates out of range, dropped"] == 1
        assert warnings["name has characters lost at the source (�)"] == 1

    def test_stages_and_search(self):
        gisco()
        assert stage_slugs(org("Universitätsklinikum Krems")) == {
            "research",
            "post-commercialisation",
        }
        assert stage_slugs(org("CENTRE HOSPITALIER UNIVERSITAIRE BRUGMANN")) == {
            "research",
            "post-commercialisation",
        }
        assert stage_slugs(org("Landeskrankenhaus Oberwart")) == {"post-commercialisation"}
        found = selectors.organisation_search(
            viewer=None, query=selectors.DirectoryQuery(q="universitatsklinikum krems")
        )
        assert [o.name for o in found] == ["Universitätsklinikum Krems"]
        found = selectors.organisation_search(
            viewer=None, query=selectors.DirectoryQuery(q="brugge", kind=["hospital"])
        )
        assert [o.name for o in found] == ["ALGEMEEN ZIEKENHUIS ST.-JAN BRUGGE-OOSTENDE"]

    def test_second_run_creates_and_changes_nothing(self):
        gisco()
        before = list(Organisation.objects.order_by("pk").values())
        again = gisco()
        assert (again.created, again.updated, again.rejected) == (0, 0, 3)
        assert again.unchanged == 28 and again.duplicates == 5
        assert list(Organisation.objects.order_by("pk").values()) == before

    def test_dry_run_writes_nothing(self):
        result = gisco(dry_run=True)
        assert result.created == 28 and result.dry_run
        assert Organisation.objects.count() == 0

    def test_portal_websites_are_dropped(self, monkeypatch):
        monkeypatch.setattr(engine, "PORTAL_LIMIT", 3)
        result = gisco()
        assert (
            result.reasons("warning")[
                "website shared by more than 3 organisations (a portal), dropped"
            ]
            == 4
        )
        assert not Organisation.objects.filter(website__contains="krages.at").exists()


@pytest.mark.django_db
class TestExistingOrganisations:
    def test_claimed_organisation_is_never_changed(self):
        admin_org = organisation_with_admin(name="Landeskrankenhaus Güssing", country="AT", city="")
        result = gisco()
        admin_org.refresh_from_db()
        assert (admin_org.city, admin_org.website, admin_org.latitude) == ("", "", None)
        assert admin_org.source == "member" and admin_org.claimed
        assert result.created == 27 and result.unchanged == 1
        assert not stage_slugs(admin_org)
        matched = next(i for i in result.issues if i.outcome == "unchanged")
        assert matched.line == 2 and "claimed by its members" in matched.detail

    def test_unclaimed_organisation_gets_only_its_empty_fields(self):
        existing = OrganisationFactory(
            name="Landeskrankenhaus Güssing",
            country="AT",
            city="Güssing (Burgenland)",
            website="",
            source="other",
        )
        result = gisco()
        existing.refresh_from_db()
        assert existing.city == "Güssing (Burgenland)"  # kept
        assert existing.website == "http://www.krages.at"  # filled
        assert existing.latitude == 47.049762
        assert (
            existing.source == "other" and existing.source_id == ""
        )  # another source's id is not its own
        assert stage_slugs(existing) == {"post-commercialisation"}
        assert result.updated == 1 and result.created == 27
        assert "post commercialisation" in existing.search_document  # indexed again

    def test_a_second_file_matches_the_first_by_name_and_domain(self):
        gisco()
        hospitals = Organisation.objects.count()
        result = import_organisations(path=UNIVERSITIES, preset="hipo-universities")
        # Medizinische Hochschule Hannover is both a hospital and a university.
        mhh = org("Medizinische Hochschule Hannover")
        assert mhh.kind == "hospital" and mhh.website == "http://www.mh-hannover.de/"
        assert result.updated == 1
        assert Organisation.objects.count() == hospitals + result.created


@pytest.mark.django_db
class TestOtherFiles:
    def test_latin1_semicolons_and_a_multiline_header(self):
        result = import_organisations(
            path=LATIN1, mapping=LATIN1_MAP, constants={"kind": "hospital"}, source="latin1-test"
        )
        assert result.encoding == "cp1252"
        assert (result.created, result.rejected) == (8, 0)
        assert org("CTRE DE RÉÉDUCATION MANGINI").city == "Hauteville Lompnes"
        assert org("Psychosomatische Klinik Kloster Dießen").city == "Dießen am Ammersee"
        assert org("Landeskrankenhaus Güssing").source == "latin1-test"

    def test_json_with_dotted_paths(self):
        result = import_organisations(path=UNIVERSITIES, preset="hipo-universities")
        assert result.rows == 17
        assert result.reasons() == {
            "country outside the platform's Europe": 3,
            "name missing": 1,
            "not an object": 1,
        }
        assert result.created == 10 and result.duplicates == 2
        # Two names on one domain are one university; the campus on its own domain is another.
        assert Organisation.objects.filter(name__contains="Leuven").count() == 2
        assert org("KU Leuven").website == "https://www.kuleuven.be/"
        assert org("ETHZ").website == "http://www.ethz.ch/" and org("ETHZ").source_id == "ethz.ch"
        assert org("Université des Antilles").country == "FR"
        assert stage_slugs(org("Veterinärmedizinische")) == {"training", "research"}
        assert org("Yorker International University").website == ""
        rejected = {i.where: i.reason for i in result.rejections}
        assert rejected["item 16"] == "not an object"
        assert rejected["item 10"] == "country outside the platform's Europe"

    def test_ema_holders(self):
        result = import_organisations(path=EMA, preset="ema-holders")
        assert result.rows == 15  # holders of human medicines; the veterinary row is left out
        assert result.reasons() == {
            "country could not be inferred from the holder's name": 2,
            "name missing": 1,
        }
        assert result.created == 12
        abbvie = org("AbbVie Deutschland")
        assert abbvie.name == "AbbVie Deutschland GmbH & Co. KG"
        assert (abbvie.country, abbvie.kind) == ("DE", "company")
        assert stage_slugs(abbvie) == {"production"}
        assert "monoclonal-antibodies" in field_slugs(abbvie) and "Humira" in abbvie.description
        novartis = org("Novartis Europharm")
        assert novartis.country == "IE"
        assert field_slugs(novartis) == {"cell-therapy", "gene-therapy", "viral-vectors"}
        assert field_slugs(org("BioNTech")) == {"mrna", "vaccines"}
        assert field_slugs(org("Holostem")) == {"cell-therapy", "tissue-engineering"}
        assert org("Merck Sharp & Dohme Ltd").country == "GB"
        assert org("Merck Sharp & Dohme B.V.").country == "NL"

    def test_mapping_errors_stop_before_anything_is_written(self):
        with pytest.raises(ImportFailed, match="Not in the file: name=Hospital"):
            import_organisations(path=LATIN1, mapping={**LATIN1_MAP, "name": "Hospital"})
        with pytest.raises(ImportFailed, match="Unknown preset"):
            import_organisations(path=LATIN1, preset="nope")

    def test_unknown_taxonomy_values_reject_the_row(self):
        result = import_organisations(
            path=LATIN1,
            mapping=LATIN1_MAP,
            constants={"kind": "hospital", "stages": "research,fermenting"},
        )
        assert result.reasons() == {"unknown stage": 8}
        assert result.rejections[0].detail == "fermenting"


@pytest.mark.django_db
class TestNoHalfWrittenRow:
    def test_a_row_the_database_refuses_is_rejected_alone_with_its_links(self, monkeypatch):
        real = engine.insert_organisations

        def refuse_oberwart(orgs):
            real(orgs)
            if any(o.name == "Landeskrankenhaus Oberwart" for o in orgs):
                raise DatabaseError("value too long for type character varying(120)")

        monkeypatch.setattr(engine, "insert_organisations", refuse_oberwart)
        result = gisco()
        assert result.created == 27
        assert result.reasons() == {"name missing": 1, "country missing": 2, "database error": 1}
        assert not Organisation.objects.filter(name="Landeskrankenhaus Oberwart").exists()
        links = Organisation.stages.through.objects
        assert links.count() == sum(o.stages.count() for o in Organisation.objects.all())
        assert not links.exclude(organisation__in=Organisation.objects.all()).exists()


@pytest.mark.django_db
class TestCommand:
    def test_output_and_report(self, tmp_path):
        report = tmp_path / "report.csv"
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "import_organisations",
            str(GISCO),
            "--preset",
            "gisco-hospitals",
            "--report",
            str(report),
            stdout=out,
            stderr=err,
        )
        text = out.getvalue()
        assert "Imported 36 rows from source 'gisco-hospitals'" in text
        assert "created          28" in text and "rejected          3" in text
        assert "2  country missing  (lines 35, 37)" in text
        assert "website is not a valid URL, dropped" in text
        assert "36/36 rows 100%" in err.getvalue()
        with report.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert {"line": "34", "outcome": "rejected", "reason": "name missing"}.items() <= rows[
            [r["line"] for r in rows].index("34")
        ].items()
        assert {r["outcome"] for r in rows} == {"rejected", "warning", "duplicate"}

    def test_map_set_source_and_no_progress(self):
        out, err = io.StringIO(), io.StringIO()
        args = [
            str(LATIN1),
            "--source",
            "cli-test",
            "--set",
            "kind=hospital",
            "--set",
            "stages=research,production",
            "--no-progress",
        ]
        for target, source in LATIN1_MAP.items():
            args += ["--map", f"{target}={source}"]
        call_command("import_organisations", *args, stdout=out, stderr=err)
        assert err.getvalue() == ""
        assert "created           8" in out.getvalue()
        assert stage_slugs(org("CH LA FÈRE")) == {"research", "production"}
        assert set(Organisation.objects.values_list("source", flat=True)) == {"cli-test"}

    def test_dry_run(self):
        out = io.StringIO()
        call_command(
            "import_organisations",
            str(UNIVERSITIES),
            "--preset",
            "hipo-universities",
            "--dry-run",
            "--no-progress",
            stdout=out,
        )
        assert out.getvalue().startswith("Dry run, nothing written: checked 17 rows")
        assert Organisation.objects.count() == 0

    def test_bad_options_are_command_errors(self):
        with pytest.raises(CommandError, match="Unknown target 'colour'"):
            call_command("import_organisations", str(LATIN1), "--map", "colour=Town")
        with pytest.raises(CommandError, match="No such file"):
            call_command("import_organisations", str(FIXTURES / "missing.csv"))


@pytest.mark.django_db
def test_json_objects_need_not_share_their_keys(tmp_path):
    path = tmp_path / "orgs.json"
    path.write_text(
        '[{"name": "Biotech Alpha", "country": "fr", "kind": "company"},'
        ' {"name": "Klinikum Beta", "country": "Germany", "kind": "Hospital", "city": "Bonn",'
        ' "latitude": 50.73, "longitude": 7.1, "stages": ["research"], "fields": "Vaccines; mRNA"}]',
        encoding="utf-8",
    )
    result = import_organisations(path=path, source="handmade")
    assert (result.created, result.rejected) == (2, 0)
    beta = org("Klinikum Beta")
    assert (beta.country, beta.kind, beta.city, beta.latitude) == ("DE", "hospital", "Bonn", 50.73)
    assert stage_slugs(beta) == {"research"} and field_slugs(beta) == {"vaccines", "mrna"}
    assert org("Biotech Alpha").country == "FR"


@pytest.mark.django_db
def test_a_row_with_more_columns_than_the_header_is_rejected(tmp_path):
    path = tmp_path / "shifted.csv"
    path.write_text(
        "name,country,city\nKlinikum Gamma,DE,Bonn\nKlinikum Delta, Köln,DE,Köln\n",
        encoding="utf-8",
    )
    result = import_organisations(path=path, source="handmade")
    assert result.created == 1
    assert [(i.line, i.reason, i.detail) for i in result.rejections] == [
        (3, "more columns than the header", "1 more")
    ]
