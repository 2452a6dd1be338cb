from django.urls import path

from community import api

urlpatterns = [
    path("auth/token/", api.TokenCreateApi.as_view(), name="api-token"),
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("taxonomy/", api.TaxonomyApi.as_view(), name="api-taxonomy"),
    path("organisations/", api.OrganisationListCreateApi.as_view(), name="api-organisations"),
    path("organisations/<slug:slug>/", api.OrganisationDetailApi.as_view(), name="api-organisation"),
]
