"""URLs under /groups/<slug>/documents/ (names in the "workgroups" namespace)."""

from django.urls import path

from workgroups.views import documents as views

urlpatterns = [
    path("", views.document_list, name="documents"),
    path("new/", views.document_upload, name="document-upload"),
    path("<int:document_id>/", views.document_detail, name="document-detail"),
    path("<int:document_id>/versions/", views.document_version_new, name="document-version-new"),
    path("<int:document_id>/delete/", views.document_delete, name="document-delete"),
    path("<int:document_id>/download/", views.document_download, name="document-download"),
    path(
        "<int:document_id>/versions/<int:version_id>/download/",
        views.version_download,
        name="document-version-download",
    ),
]
