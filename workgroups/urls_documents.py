"""URLs under /groups/<slug>/documents/ (names in the "workgroups" namespace)."""

from django.urls import path

from workgroups.views.common import placeholder

urlpatterns = [path("", placeholder, name="documents")]
