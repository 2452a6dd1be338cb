"""/api/v1/calls/...: filled in by partnerships.api."""

urlpatterns: list = []
