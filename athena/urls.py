from csp.decorators import csp_update
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.core import i18n_views
from apps.core import views as core_views
from apps.core.oauth_views import OAuthTokenApi
from apps.core.oidc import StaffLogoutView
from apps.pix.api_v2 import charges_views as pix_charges_views

SWAGGER_CDN = "https://cdn.jsdelivr.net"  # drf-spectacular's SWAGGER_UI_DIST

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("", include("django_prometheus.urls")),
    # Before the admin's own: signing out of a Keycloak session signs out of Keycloak too.
    path("admin/logout/", StaffLogoutView.as_view(), name="staff-logout"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    # Django's set_language, also remembering the choice on a signed-in user (e-mails).
    path("i18n/setlang/", i18n_views.set_language, name="set_language"),
    path("oauth/token", OAuthTokenApi.as_view(), name="oauth-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI comes from its CDN, its script from this view (no inline script: CSP).
    path(
        "api/docs/",
        csp_update(
            {"script-src": [SWAGGER_CDN], "style-src": [SWAGGER_CDN], "img-src": [SWAGGER_CDN]}
        )(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    path("api/v1/", include("athena.api_urls")),
    path("api/pix/v2/", include("apps.pix.api_v2.urls")),
    # API Pix payload locations (capability URLs, no auth): what a dynamic BR Code points to.
    path("qr/v2/jwks", pix_charges_views.PayloadJwksApi.as_view(), name="pix-payload-jwks"),
    path(
        "qr/v2/cobv/<str:token>",
        pix_charges_views.CobVPayloadApi.as_view(),
        name="pix-cobv-payload",
    ),
    path("qr/v2/<str:token>", pix_charges_views.CobPayloadApi.as_view(), name="pix-cob-payload"),
    path("", include(("athena.portal_urls", "portal"), namespace="portal")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
