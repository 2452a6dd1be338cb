"""API under /api/v1/workgroups/<slug>/meetings/."""

urlpatterns: list = []
