"""Images: alt text is required, and pages use renditions with it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.images.forms import get_image_form

from tests.cms.conftest import png_bytes

pytestmark = pytest.mark.django_db


def upload(title="Hall"):
    return {"file": SimpleUploadedFile(f"{title}.png", png_bytes(), content_type="image/png")}


def test_the_image_model_is_ours_and_requires_alt_text():
    Image = get_image_model()
    assert Image._meta.label == "cms.CustomImage"
    field = Image._meta.get_field("description")
    assert not field.blank and field.verbose_name == "alt text"


def test_the_image_form_refuses_an_image_without_alt_text(editor):
    Form = get_image_form(get_image_model())
    form = Form(data={"title": "Hall", "description": ""}, files=upload(), user=editor)
    assert not form.is_valid()
    assert "description" in form.errors
    form = Form(
        data={
            "title": "Hall",
            "description": "Stainless steel tanks in a hall",
            "credit": "Demo photo",
        },
        files=upload(),
        user=editor,
    )
    assert form.is_valid(), form.errors


def test_uploading_in_the_admin_needs_alt_text(client, editor):
    client.force_login(editor)
    url = reverse("wagtailimages:add")
    response = client.post(url, {"title": "Hall", "description": "", **upload()})
    assert response.status_code == 200 and not get_image_model().objects.exists()
    response = client.post(
        url, {"title": "Hall", "description": "Stainless steel tanks in a hall", **upload()}
    )
    assert response.status_code == 302
    image = get_image_model().objects.get()
    assert image.default_alt_text == "Stainless steel tanks in a hall" == image.alt_text
