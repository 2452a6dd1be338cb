import pytest

from community.models import Field, Stage


@pytest.mark.django_db
def test_taxonomy_is_seeded():
    assert list(Stage.objects.values_list("slug", flat=True)) == [
        "training",
        "research",
        "process-development",
        "production",
        "post-commercialisation",
    ]
    assert Field.objects.filter(slug="viral-vectors", category="modality").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/directory/", "/value-chain/", "/map/", "/coverage/", "/accounts/login/"]
)
def test_public_pages_answer(client, path):
    assert client.get(path).status_code == 200
