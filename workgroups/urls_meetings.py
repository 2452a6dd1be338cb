"""URLs under /groups/<slug>/meetings/ (names in the "workgroups" namespace)."""

from django.urls import path

from workgroups.views.common import placeholder

urlpatterns = [path("", placeholder, name="meetings")]
