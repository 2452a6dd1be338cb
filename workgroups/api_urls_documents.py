"""API under /api/v1/workgroups/<slug>/documents/."""

from django.urls import path

from workgroups import api_documents as api

urlpatterns = [
    path("", api.DocumentListCreateApi.as_view(), name="api-workgroup-documents"),
    path("<int:document_id>/", api.DocumentDetailApi.as_view(), name="api-workgroup-document"),
    path(
        "<int:document_id>/download/",
        api.DocumentDownloadApi.as_view(),
        name="api-workgroup-document-download",
    ),
    path(
        "<int:document_id>/versions/",
        api.VersionListCreateApi.as_view(),
        name="api-workgroup-document-versions",
    ),
    path(
        "<int:document_id>/versions/<int:version_id>/download/",
        api.VersionDownloadApi.as_view(),
        name="api-workgroup-document-version-download",
    ),
]
