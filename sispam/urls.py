"""URL map. Every view here is listed in docs/roles.md; tests/test_roles_matrix.py checks it."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

import core.admin  # noqa: F401  (registers the models: admin autodiscovery is off)
import incidents.admin  # noqa: F401
import operations.admin  # noqa: F401
import personnel.admin  # noqa: F401
from command import (
    api_dashboard,
    api_sitrep,
    api_summary,
    exercise_views,
    views_home,
    views_officer,
    views_sitrep,
)
from command import views_dashboard as dashboard_views
from core import api as core_api
from core import views as core_views
from core import views_accounts, views_pwa
from incidents import api as incidents_api
from incidents import (
    api_ew,
    api_field,
    api_learning,
    api_sms,
    api_tps,
    views_field,
    views_intel,
    views_learning,
)
from incidents import views as incidents_views
from logistics import api as logistics_api
from logistics import views as logistics_views
from operations import api as operations_api
from operations import views as operations_views
from operations import views_csv, views_map
from personnel import api as personnel_api
from personnel import views as personnel_views

admin.site.site_header = "Sispam: administrasi"
admin.site.site_title = "Sispam"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("audit", core_api.AuditEventViewSet, basename="audit")
router.register("kecamatan", operations_api.KecamatanViewSet, basename="kecamatan")
router.register("kelurahan", operations_api.KelurahanViewSet, basename="kelurahan")
router.register("phases", operations_api.ElectionPhaseViewSet, basename="phase")
router.register("units", personnel_api.UnitViewSet, basename="unit")
router.register("officers", personnel_api.OfficerViewSet, basename="officer")
router.register("bko/requests", personnel_api.BkoRequestViewSet, basename="bko-request")
router.register("bko/contingents", personnel_api.BkoContingentViewSet, basename="bko-contingent")
router.register("tps", operations_api.TpsViewSet, basename="tps")
router.register("posts", operations_api.PostViewSet, basename="post")
router.register("assignments", operations_api.AssignmentViewSet, basename="assignment")
router.register("plans", operations_api.PlanViewSet, basename="plan")
router.register("incidents", incidents_api.IncidentViewSet, basename="incident")
router.register("tps-returns", api_tps.TpsReturnViewSet, basename="tps-return")
router.register("intel", api_ew.IntelViewSet, basename="intel")
router.register("tips", api_ew.TipViewSet, basename="tip")
router.register("alerts", api_ew.AlertViewSet, basename="alert")
router.register("logistics/legs", logistics_api.LegViewSet, basename="logistics-leg")
router.register("ew-config", api_ew.EwConfigViewSet, basename="ew-config")
router.register("ew/corrections", api_learning.EwCorrectionViewSet, basename="ew-correction")
router.register("ew/trainings", api_learning.EwTrainingRunViewSet, basename="ew-training")
router.register("ew/versions", api_learning.EwVersionViewSet, basename="ew-version")

api_v1 = [
    path("auth/token/", core_api.TokenView.as_view(), name="api-token"),
    path("summary/", api_summary.SummaryView.as_view(), name="api-summary"),
    path("strength/", personnel_api.StrengthView.as_view(), name="api-strength"),
    path("dashboard/map/", api_dashboard.DashboardMapView.as_view(), name="api-dashboard-map"),
    path(
        "dashboard/stats/", api_dashboard.DashboardStatsView.as_view(), name="api-dashboard-stats"
    ),
    path("liaison/summary/", api_dashboard.LiaisonSummaryView.as_view(), name="api-liaison"),
    path("sitrep/", api_sitrep.SitrepView.as_view(), name="api-sitrep"),
    path("me/duty/", api_field.DutyView.as_view(), name="api-me-duty"),
    path("me/status/", api_field.OwnStatusView.as_view(), name="api-me-status"),
    path("me/check-ins/", api_field.CheckInView.as_view(), name="api-me-check-ins"),
    path(
        "dispatches/<int:pk>/progress/",
        api_field.DispatchProgressView.as_view(),
        name="api-dispatch-progress",
    ),
    path("logistics/board/", logistics_api.BoardView.as_view(), name="api-logistics-board"),
    path(
        "logistics/steps/<int:pk>/photos/",
        logistics_api.CustodyPhotoView.as_view(),
        name="api-custody-photos",
    ),
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
    path("accounts/password/", core_views.password_change, name="password-change"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("komando/", views_home.landing_komando, name="landing-komando"),
    path("intel/", views_home.landing_intel, name="landing-intel"),
    path("lapangan/", views_home.landing_lapangan, name="landing-lapangan"),
    path("kpu/", dashboard_views.liaison, name="landing-kpu"),
    path("kpu/ringkasan/", dashboard_views.liaison_print, name="liaison-print"),
    path("operasi/dasbor/", dashboard_views.dashboard, name="dashboard"),
    path("operasi/dasbor/panel/", dashboard_views.dashboard_panel, name="dashboard-panel"),
    path("operasi/dasbor/masuk/", dashboard_views.dashboard_incoming, name="dashboard-incoming"),
    path("peta/ubin/<int:z>/<int:x>/<int:y>.png", views_map.map_tile, name="map-tile"),
    path("api/v1/sms/inbound/", api_sms.sms_inbound, name="sms-inbound"),
    path("peta/wilayah.geojson", views_map.map_boundaries, name="map-boundaries"),
    path("pengelolaan/", core_views.landing_admin, name="landing-admin"),
    path("pengelolaan/pengguna/", views_accounts.user_list, name="account-list"),
    path("pengelolaan/pengguna/baru/", views_accounts.user_new, name="account-new"),
    path("pengelolaan/pengguna/<int:pk>/", views_accounts.user_detail, name="account-detail"),
    path(
        "pengelolaan/pengguna/<int:pk>/sandi/",
        views_accounts.user_password,
        name="account-password",
    ),
    path(
        "pengelolaan/pengguna/<int:pk>/buka-kunci/",
        views_accounts.user_unlock,
        name="account-unlock",
    ),
    path(
        "pengelolaan/pengguna/<int:pk>/cabut-token/",
        views_accounts.user_token_revoke,
        name="account-token-revoke",
    ),
    path(
        "pengelolaan/pengguna/<int:pk>/faktor-kedua/hapus/",
        views_accounts.user_otp_reset,
        name="account-otp-reset",
    ),
    path("akun/faktor-kedua/", views_accounts.otp_verify, name="otp-verify"),
    path("akun/faktor-kedua/pasang/", views_accounts.otp_setup, name="otp-setup"),
    path("pengelolaan/sesi/", views_accounts.signed_in, name="account-sessions"),
    path("akun/sesi/", views_accounts.my_sessions, name="my-sessions"),
    path("akun/sesi/<int:pk>/akhiri/", views_accounts.session_end, name="session-end"),
    path("akun/token/cabut/", views_accounts.my_token_revoke, name="my-token-revoke"),
    path("audit/", core_views.audit_list, name="audit-trail"),
    path("personel/", personnel_views.roster, name="roster"),
    path("personel/kekuatan/", personnel_views.strength, name="strength"),
    path("personel/bko/", personnel_views.bko, name="bko"),
    path("personel/<int:pk>/", views_officer.officer_detail, name="officer-page"),
    path("personel/ekspor.csv", views_csv.officers_csv, name="officers-export"),
    path("impor/", views_csv.csv_import, name="csv-import"),
    path("operasi/tps/", operations_views.tps_list, name="tps-page"),
    path("operasi/tps/<int:pk>/", operations_views.tps_detail, name="tps-page-detail"),
    path("operasi/tps/ekspor.csv", views_csv.tps_csv, name="tps-export"),
    path("operasi/perencanaan/", operations_views.planner_page, name="planner"),
    path("operasi/rekapitulasi/", operations_views.recap_page, name="recap-page"),
    path("operasi/laporan-situasi/", views_sitrep.sitrep_page, name="sitrep"),
    path("operasi/laporan-situasi/unduh.pdf", views_sitrep.sitrep_pdf_download, name="sitrep-pdf"),
    path("operasi/laporan-situasi/unduh.csv", views_sitrep.sitrep_csv_download, name="sitrep-csv"),
    path("lapor/", incidents_views.report_form, name="report-form"),
    path("lapor/tps/", views_field.tps_return_form, name="tps-return-form"),
    path("lapor/kawal/", logistics_views.escort_legs, name="escort-legs"),
    path("logistik/", logistics_views.logistics_board, name="logistics-board"),
    path("logistik/papan/", dashboard_views.dashboard_convoy, name="logistics-fragment"),
    path("logistik/impor/", logistics_views.logistics_import, name="logistics-import"),
    path("logistik/ekspor.csv", logistics_views.logistics_export, name="logistics-export"),
    path("logistik/<int:pk>/", logistics_views.leg_detail, name="leg-page"),
    path("logistik/foto/<int:pk>/", logistics_views.custody_photo, name="custody-photo"),
    path("sw.js", views_pwa.service_worker, name="service-worker"),
    path("manifest.webmanifest", views_pwa.web_manifest, name="web-manifest"),
    path("informasi/", incidents_views.tip_form, name="tip-form"),
    path("intel/laporan/", incidents_views.intel_page, name="intel-page"),
    path("intel/laporan/<int:pk>/", views_intel.intel_detail, name="intel-report-page"),
    path("intel/informasi/", views_intel.tip_triage, name="tip-triage"),
    path("intel/peringatan-dini/", views_learning.console, name="ew-console"),
    path("intel/peringatan-dini/koreksi/", views_learning.correct, name="ew-correct"),
    path("intel/peringatan-dini/latih/", views_learning.train, name="ew-train"),
    path(
        "intel/peringatan-dini/versi/<slug:version>/",
        views_learning.version_page,
        name="ew-version",
    ),
    path(
        "intel/peringatan-dini/versi/<slug:version>/backtest/",
        views_learning.backtest,
        name="ew-backtest",
    ),
    path(
        "intel/peringatan-dini/versi/<slug:version>/aktifkan/",
        views_learning.activate,
        name="ew-activate",
    ),
    path("kejadian/", incidents_views.incident_list, name="incident-page"),
    path("kejadian/<int:pk>/", incidents_views.incident_detail, name="incident-page-detail"),
    path("kejadian/foto/<int:pk>/", incidents_views.incident_photo, name="incident-photo"),
    path(
        "kejadian/foto/<int:pk>/asli/",
        incidents_views.incident_photo_original,
        name="incident-photo-original",
    ),
    path("operasi/perencanaan/<int:pk>/", operations_views.plan_detail, name="plan-page"),
    path(
        "operasi/perencanaan/<int:pk>/terapkan/",
        operations_views.plan_accept_view,
        name="plan-page-accept",
    ),
    path("operasi/latihan/", exercise_views.exercise_list, name="exercise-list"),
    path(
        "operasi/latihan/skenario/baru/",
        exercise_views.scenario_new,
        name="exercise-scenario-new",
    ),
    path(
        "operasi/latihan/skenario/<slug:name>/",
        exercise_views.scenario_edit,
        name="exercise-scenario",
    ),
    path(
        "operasi/latihan/skenario/<slug:name>/mulai/",
        exercise_views.run_start,
        name="exercise-start",
    ),
    path("operasi/latihan/<int:pk>/", exercise_views.run_detail, name="exercise-run"),
    path(
        "operasi/latihan/<int:pk>/laporan.json",
        exercise_views.run_report_json,
        name="exercise-run-json",
    ),
    path("operasi/latihan/<int:pk>/hentikan/", exercise_views.run_stop, name="exercise-stop"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]

# JSON under /api/, and a 503 rather than a 500 when PostgreSQL or Redis is away (core/errors.py).
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"
