"""API under /api/v1/workgroups/<slug>/threads/."""

urlpatterns: list = []
