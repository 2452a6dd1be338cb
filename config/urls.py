from allauth.account import views as account_views
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Admin sign-in goes through allauth, so email verification and the throttle apply.
    path("admin/login/", account_views.login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("cms/login/", account_views.login, name="wagtailadmin_login_allauth"),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("accounts/", include("allauth.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
    path("", include("community.urls")),
    path("", include("messaging.urls")),
    path("", include("workgroups.urls")),
    path("", include("partnerships.urls")),
    path("", include("cms.monitoring.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]

handler404 = "community.views.errors.not_found"
handler403 = "community.views.errors.forbidden"
handler500 = "community.views.errors.server_error"
handler400 = "community.views.errors.bad_request"
