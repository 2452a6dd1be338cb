"""/api/v1/: each app adds its own routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("community.api_urls")),
    path("", include("messaging.api_urls")),
    path("", include("workgroups.api_urls")),
    path("", include("partnerships.api_urls")),
]
