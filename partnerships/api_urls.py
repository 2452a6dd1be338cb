"""/api/v1/calls/, partnerships/, saved-searches/: see partnerships.api."""

from django.urls import path

from partnerships import api

urlpatterns = [
    path("calls/", api.CallListCreateApi.as_view(), name="api-calls"),
    path("calls/facets/", api.CallFacetsApi.as_view(), name="api-call-facets"),
    path("calls/for-you/", api.CallsForYouApi.as_view(), name="api-calls-for-you"),
    path("calls/<int:pk>/", api.CallDetailApi.as_view(), name="api-call"),
    path("calls/<int:pk>/publish/", api.CallPublishApi.as_view(), name="api-call-publish"),
    path("calls/<int:pk>/close/", api.CallCloseApi.as_view(), name="api-call-close"),
    path("calls/<int:pk>/renew/", api.CallRenewApi.as_view(), name="api-call-renew"),
    path(
        "calls/<int:pk>/responses/", api.ResponseListCreateApi.as_view(), name="api-call-responses"
    ),
    path(
        "calls/<int:pk>/responses/<int:rid>/",
        api.ResponseDetailApi.as_view(),
        name="api-call-response",
    ),
    path("partnerships/", api.PartnershipListApi.as_view(), name="api-partnerships"),
    path("partnerships/<int:pk>/", api.PartnershipDetailApi.as_view(), name="api-partnership"),
    path("saved-searches/", api.SavedSearchListCreateApi.as_view(), name="api-saved-searches"),
    path("saved-searches/<int:pk>/", api.SavedSearchDetailApi.as_view(), name="api-saved-search"),
]
