"""Tagging rules: whole words on folded text, wildcards, editors' corrections kept."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from cms.monitoring import services
from cms.monitoring.models import ExternalFeed, FeedItem, TaggingRule
from cms.monitoring.tagging import Ruleset, keyword_problem
from community.errors import NotAllowed
from community.models import Field, Stage, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def field(slug: str) -> Field:
    return Field.objects.get(slug=slug)


def ruleset(*rules: tuple[str, str]) -> Ruleset:
    """Rules given as (field slug, keywords) pairs, not saved."""
    return Ruleset([TaggingRule(field=field(slug), keywords=words) for slug, words in rules])


def tagged(rs: Ruleset, text: str) -> set[str]:
    ids = rs.tags_for(text).fields
    return set(Field.objects.filter(pk__in=ids).values_list("slug", flat=True))


class TestMatching:
    def test_whole_words_only(self):
        rs = ruleset(("viral-vectors", "AAV"), ("monoclonal-antibodies", "mab"))
        assert tagged(rs, "A new AAV capsid") == {"viral-vectors"}
        assert tagged(rs, "AAV-based gene therapy") == {"viral-vectors"}
        assert tagged(rs, "Gaav Biotech and Mabel Ltd merge") == set()
        assert tagged(rs, "an anti-IL-6 mAb.") == {"monoclonal-antibodies"}

    def test_case_accents_and_punctuation_are_folded(self):
        rs = ruleset(("cell-therapy", "CAR-T\nthérapie cellulaire"), ("fill-finish", "fill-finish"))
        assert tagged(rs, "Une THERAPIE CELLULAIRE autorisée") == {"cell-therapy"}
        assert tagged(rs, "Two car t products") == {"cell-therapy"}
        assert tagged(rs, "CAR‑T (non-breaking hyphen) and CAR–T (en dash)") == {"cell-therapy"}
        assert tagged(rs, "New fill & finish line; fill/finish capacity") == {"fill-finish"}

    def test_phrases_match_as_a_whole(self):
        rs = ruleset(("cell-therapy", "cell therapy"))
        assert tagged(rs, "a cell therapy plant") == {"cell-therapy"}
        assert tagged(rs, "cell-based therapy") == set()

    def test_wildcards_at_either_end(self):
        rs = ruleset(
            ("viral-vectors", "lentivir*"),
            ("monoclonal-antibodies", "*mab"),
            ("vaccines", "vaccin*"),
        )
        assert tagged(rs, "Lentiviral vectors") == {"viral-vectors"}
        assert tagged(rs, "lentivirus production") == {"viral-vectors"}
        assert tagged(rs, "Adalimumab biosimilar") == {"monoclonal-antibodies"}
        assert tagged(rs, "Vaccination campaign; new vaccines") == {"vaccines"}
        assert tagged(rs, "mabs and mab-like molecules") == {
            "monoclonal-antibodies"
        }  # "*mab" is also "mab"

    def test_stage_rules(self):
        rule = TaggingRule(
            stage=Stage.objects.get(slug="post-commercialisation"), keywords="marketing authori*"
        )
        tags = Ruleset([rule]).tags_for("Marketing authorisation granted")
        assert tags.stages == {rule.stage.pk} and not tags.fields

    def test_inactive_rules_are_ignored(self):
        TaggingRule.objects.all().delete()
        TaggingRule.objects.create(field=field("mrna"), keywords="mrna", active=False)
        assert not Ruleset.active().tags_for("An mRNA vaccine")

    def test_default_rules_tag_the_sector_vocabulary(self, default_rules):
        rs = Ruleset.active()

        def check(text, expected):
            assert expected <= tagged(rs, text), text

        check(
            "Onasemnogene abeparvovec, an adeno-associated vector",
            {"viral-vectors", "gene-therapy"},
        )
        check("Tisagenlecleucel, an autologous CAR-T", {"cell-therapy"})
        check("Tozinameran, the mRNA COVID-19 vaccine", {"mrna", "vaccines"})
        check("Trastuzumab deruxtecan", {"antibody-drug-conjugates", "monoclonal-antibodies"})
        check("Eplontersen, an antisense oligonucleotide", {"oligonucleotides"})
        check("Aseptic filling of prefilled syringes", {"fill-finish"})
        assert tagged(rs, "Quarterly report of a software company") == set()


class TestValidation:
    @pytest.mark.parametrize(
        ("keyword", "problem"),
        [
            ("aav", ""),
            ("lentivir*", ""),
            ("*mab", ""),
            ("CAR-T", ""),
            ("*", "no letters"),
            ("a*b", "may only start or end"),
            ("x", "too short"),
            ("e coli", ""),
            ("aav *", "beside letters"),
        ],
    )
    def test_keyword_problems(self, keyword, problem):
        found = keyword_problem(keyword)
        assert (problem in found) if problem else found == ""

    def test_a_rule_names_one_target(self):
        rule = TaggingRule(field=field("mrna"), stage=Stage.objects.first(), keywords="mrna")
        with pytest.raises(ValidationError) as caught:
            rule.full_clean()
        assert "field" in caught.value.message_dict
        rule = TaggingRule(keywords="mrna")
        with pytest.raises(ValidationError):
            rule.full_clean()

    def test_bad_keywords_are_refused(self):
        rule = TaggingRule(field=field("mrna"), keywords="mrna\n*\nx")
        with pytest.raises(ValidationError) as caught:
            rule.full_clean()
        assert len(caught.value.message_dict["keywords"]) == 2


class TestRetagging:
    def make(self, title: str) -> FeedItem:
        feed = ExternalFeed.objects.get_or_create(name="t", url="https://example.org/feed.xml")[0]
        return FeedItem.objects.create(
            feed=feed,
            link=f"https://example.org/{title}",
            title=title,
            normalised_title=services.normalise_title(title),
            published_at="2025-01-01T00:00Z",
        )

    def test_rules_change_retags_unlocked_items_only(self):
        TaggingRule.objects.all().delete()
        free = self.make("An AAV gene therapy")
        locked = self.make("Another AAV gene therapy")
        locked.fields.set([field("plasmid-dna")])
        locked.tags_locked = True
        locked.save()
        rule = TaggingRule.objects.create(field=field("viral-vectors"), keywords="aav")
        assert services.items_retag() == 1
        assert set(free.fields.values_list("slug", flat=True)) == {"viral-vectors"}
        assert set(locked.fields.values_list("slug", flat=True)) == {"plasmid-dna"}
        rule.active = False
        rule.save()
        services.items_retag()
        assert not free.fields.exists()
        assert set(locked.fields.values_list("slug", flat=True)) == {"plasmid-dna"}

    def test_an_editor_corrects_and_the_rules_leave_it(self, default_rules):
        item = self.make("An AAV gene therapy")
        services.items_retag()
        assert "viral-vectors" in set(item.fields.values_list("slug", flat=True))
        editor = UserFactory(is_staff=True)
        with pytest.raises(NotAllowed, match="Only editors"):
            services.item_tags_correct(actor=editor, item=item, fields=[field("mrna")], stages=[])
        editor.user_permissions.add(Permission.objects.get(codename="change_feeditem"))
        editor = User.objects.get(pk=editor.pk)  # a fresh permission cache
        services.item_tags_correct(actor=editor, item=item, fields=[field("mrna")], stages=[])
        item.refresh_from_db()
        assert item.tags_locked
        services.items_retag()
        assert set(item.fields.values_list("slug", flat=True)) == {"mrna"}
        services.item_tags_unlock(actor=editor, item=item)
        assert "viral-vectors" in set(item.fields.values_list("slug", flat=True))
        assert not FeedItem.objects.get(pk=item.pk).tags_locked

    def test_saving_a_rule_in_the_admin_retags(
        self, admin_client, django_capture_on_commit_callbacks
    ):
        TaggingRule.objects.all().delete()
        item = self.make("Plasmid supply for mRNA")
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                "/admin/monitoring/taggingrule/add/",
                {
                    "keywords": "plasmid*",
                    "field": field("plasmid-dna").pk,
                    "stage": "",
                    "active": "on",
                    "note": "",
                },
            )
        assert response.status_code == 302
        assert set(item.fields.values_list("slug", flat=True)) == {"plasmid-dna"}
