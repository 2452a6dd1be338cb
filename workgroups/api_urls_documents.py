"""API under /api/v1/workgroups/<slug>/documents/."""

urlpatterns: list = []
