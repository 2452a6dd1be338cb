from django.urls import path

from cms.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("feed/", views.feed, name="feed"),
    path("feed/tendencies/", views.tendencies, name="tendencies"),
    path("feed/fields/<slug:slug>/<str:action>/", views.follow, name="follow"),
]
