"""URL map. Every view here is listed in docs/roles.md; tests/test_roles_matrix.py checks it."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

import core.admin  # noqa: F401  (registers the models: admin autodiscovery is off)
import operations.admin  # noqa: F401
import personnel.admin  # noqa: F401
from core import api as core_api
from core import views as core_views
from operations import api as operations_api

admin.site.site_header = "Sispam: administrasi"
admin.site.site_title = "Sispam"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("audit", core_api.AuditEventViewSet, basename="audit")
router.register("kecamatan", operations_api.KecamatanViewSet, basename="kecamatan")
router.register("kelurahan", operations_api.KelurahanViewSet, basename="kelurahan")
router.register("phases", operations_api.ElectionPhaseViewSet, basename="phase")

api_v1 = [
    path("auth/token/", core_api.TokenView.as_view(), name="api-token"),
    path("summary/", core_api.SummaryView.as_view(), name="api-summary"),
    *router.urls,
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("komando/", core_views.landing_komando, name="landing-komando"),
    path("intel/", core_views.landing_intel, name="landing-intel"),
    path("lapangan/", core_views.landing_lapangan, name="landing-lapangan"),
    path("kpu/", core_views.landing_kpu, name="landing-kpu"),
    path("pengelolaan/", core_views.landing_admin, name="landing-admin"),
    path("audit/", core_views.audit_list, name="audit-trail"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]
