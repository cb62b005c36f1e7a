"""Sispam settings, read from the environment (see docs/configuration.md).

With no DATABASE_URL and no REDIS_URL Sispam runs on the embedded default: SQLite, Celery tasks
executed eagerly, an in-memory channel layer, one process. With them set it runs for real.
A value that cannot be meant stops start-up with a message naming the variable.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from sispam import env

BASE_DIR = Path(__file__).resolve().parent.parent

try:
    DATABASE_URL = env.env_database_url("DATABASE_URL")
    REDIS_URL = env.env_redis_url("REDIS_URL")
    EMBEDDED = DATABASE_URL is None and REDIS_URL is None
    # Off unless a developer opts in (DEBUG=1): no visitor ever sees a debug page, the embedded
    # default of `make run` included.
    DEBUG = env.env_bool("DEBUG", default=False)
    # Whether browsers reach the app over HTTPS: Secure cookies, HSTS, the redirect. Everywhere
    # but the embedded default and development, which serve plain HTTP on this machine only.
    HTTPS = env.env_bool("HTTPS", default=not (DEBUG or EMBEDDED))
    # A TOTP code after the password for komando and admin (core/second_factor.py): on where
    # HTTPS is (production), off on the embedded demo and for developers.
    OTP_REQUIRED = env.env_bool("OTP_REQUIRED", default=HTTPS)
    SECRET_KEY = env.env_str("SECRET_KEY")
    ALLOWED_HOSTS = env.env_list(
        "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG or EMBEDDED else []
    )
    CSRF_TRUSTED_ORIGINS = env.env_list("CSRF_TRUSTED_ORIGINS", [])
    SECURE_SSL_REDIRECT = env.env_bool("SECURE_SSL_REDIRECT", default=HTTPS)
    BEHIND_TLS_PROXY = env.env_bool("BEHIND_TLS_PROXY", default=False)
    HSTS_SECONDS = env.env_int("HSTS_SECONDS", 31536000, minimum=0)
    DB_POOL_MAX = env.env_int("DB_POOL_MAX", 10, minimum=1)
    DB_POOL_TIMEOUT = env.env_int("DB_POOL_TIMEOUT", 5, minimum=1)
    # Seconds a client is told to wait (Retry-After) when the database or Redis is away.
    OUTAGE_RETRY_AFTER = env.env_int("OUTAGE_RETRY_AFTER", 5, minimum=1)
    # Embedded default: seconds a SQLite writer waits for another's lock before giving up.
    SQLITE_BUSY_TIMEOUT = env.env_int("SQLITE_BUSY_TIMEOUT", 20, minimum=1)
    API_TOKEN_CACHE_SECONDS = env.env_int("API_TOKEN_CACHE_SECONDS", 5, minimum=0)
    # An API token works this many hours after it was issued; then the phone asks for a new one.
    API_TOKEN_HOURS = env.env_int("API_TOKEN_HOURS", 12, minimum=1)
    INCIDENT_VERIFY_MINUTES = env.env_int("INCIDENT_VERIFY_MINUTES", 10, minimum=1)
    ALERT_ACK_MINUTES = env.env_int("ALERT_ACK_MINUTES", 5, minimum=1)
    # A logistics leg not arrived this long after its planned arrival is late (an alert);
    # one without escort this long before its planned departure is flagged.
    LOGISTICS_LATE_MINUTES = env.env_int("LOGISTICS_LATE_MINUTES", 30, minimum=0)
    LOGISTICS_ESCORT_LEAD_MINUTES = env.env_int("LOGISTICS_ESCORT_LEAD_MINUTES", 60, minimum=0)
    EW_SWEEP_SECONDS = env.env_int("EW_SWEEP_SECONDS", 30, minimum=1)
    EW_SWEEP_WINDOW_HOURS = env.env_int("EW_SWEEP_WINDOW_HOURS", 24, minimum=1)
    BACKUP_DIR = Path(env.env_str("BACKUP_DIR", str(BASE_DIR / "var" / "backups")))
    BACKUP_KEEP = env.env_int("BACKUP_KEEP", 14, minimum=1)
    DASHBOARD_QUIET_SECONDS = env.env_int("DASHBOARD_QUIET_SECONDS", 20, minimum=1)
    EW_SCORE_MAX_ATTEMPTS = env.env_int("EW_SCORE_MAX_ATTEMPTS", 3, minimum=1)
    EW_SCORE_RETRY_SECONDS = env.env_int("EW_SCORE_RETRY_SECONDS", 30, minimum=1)
    EW_BACKTEST_MAX_MINUTES = env.env_int("EW_BACKTEST_MAX_MINUTES", 60, minimum=1)
    EW_CORPUS_DIR = Path(
        env.env_str("EW_CORPUS_DIR", str(BASE_DIR / "tests" / "data" / "ew_corpus"))
    )
    MAP_TILE_URL = env.env_str("MAP_TILE_URL", "")
    # Air-gapped maps (operations/mapdata.py): base tiles from a local MBTiles file, served by
    # the app at /peta/ubin/{z}/{x}/{y}; kelurahan areas from a GeoJSON file (approximate
    # ones, built from the centroids, without it).
    MAP_TILES_FILE = env.env_str("MAP_TILES_FILE", "")
    # Reports by SMS when data fails (incidents/sms.py): the gateway's shared secret (unset:
    # the webhook answers 404) and the number the phones send to.
    SMS_WEBHOOK_SECRET = env.env_str("SMS_WEBHOOK_SECRET", "")
    SMS_GATEWAY_NUMBER = env.env_str("SMS_GATEWAY_NUMBER", "")
    SMS_AFTER_MINUTES = env.env_int("SMS_AFTER_MINUTES", 3, minimum=0)
    MAP_BOUNDARIES_FILE = env.env_str("MAP_BOUNDARIES_FILE", "")
    DASHBOARD_CACHE_SECONDS = env.env_int("DASHBOARD_CACHE_SECONDS", 5, minimum=0)
    DEMO_PASSWORD = env.env_str("DEMO_PASSWORD", "sispam-demo-2024")
    LOGIN_FAILURE_LIMIT = env.env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
    # How many proxies we run in front of the app, each appending to X-Forwarded-For: the client
    # address is the entry that many from the right (core/clientaddr.py); 0 ignores the header.
    TRUSTED_PROXY_COUNT = env.env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
    # A photo's declared width x height is checked against this before it is decoded.
    PHOTO_MAX_PIXELS = env.env_int("PHOTO_MAX_PIXELS", 40_000_000, minimum=1)
    # The largest request body of all (the report form with five 10 MB photos), refused with 413
    # before it is read; endpoints that take no file accept far less (core/uploads.py).
    REQUEST_MAX_BYTES = env.env_int("REQUEST_MAX_BYTES", 60 * 1024 * 1024, minimum=1024)
    # An open WebSocket re-checks its session, user and role this often (core/websocket.py).
    WS_RECHECK_SECONDS = env.env_int("WS_RECHECK_SECONDS", 5, minimum=1)
    LOG_LEVEL = (env.env_str("LOG_LEVEL", "INFO") or "INFO").upper()
except env.EnvError as exc:
    raise ImproperlyConfigured(str(exc)) from None

if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a logging level.")

SECRET_KEY_MIN_LENGTH = 50  # what Django's deploy check asks (security.W009)

if SECRET_KEY is None and EMBEDDED and not DEBUG:
    # The embedded default with DEBUG off: a random key made once and kept beside its database.
    SECRET_KEY = env.secret_key_file(BASE_DIR / "var" / "secret-key")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (use 50+ random characters)."
        )
    # Development only: a fixed key so sessions survive restarts of `make run`.
    SECRET_KEY = "django-insecure-sispam-embedded-demo-key-not-for-production-use"  # noqa: S105
elif not DEBUG and len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH:
    # Sessions, CSRF and the tips' client hash are signed with it: a short key can be guessed
    # offline from one cookie. Make one: python -c "import secrets;print(secrets.token_urlsafe(48))"
    raise ImproperlyConfigured(
        f"SECRET_KEY is {len(SECRET_KEY)} characters long: when DEBUG is off it must be at least "
        f"{SECRET_KEY_MIN_LENGTH} random characters."
    )

INSTALLED_APPS = [
    # SimpleAdminConfig: no autodiscovery, so django-leaflet's GIS admin (which needs GDAL) is
    # never imported; sispam/urls.py imports our admin modules.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "leaflet",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "personnel",
    "operations",
    "incidents",
    "logistics",
    "command",  # above the domain apps: the command post's picture and its drills
    "demo",  # above the domain apps: seed_demo and seed_situation
]

MIDDLEWARE = [
    # First: a lost database or Redis is answered 503 + Retry-After, never 500 (core/errors.py).
    "core.errors.OutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    # Pages and (in the embedded default) static files gzipped for phones on a saturated network;
    # Django pads each body at random against BREACH, and CSRF tokens are masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which parses the POST: caps the body and refuses unexpected file parts.
    "core.uploads.UploadGuardMiddleware",
    # A NUL in a query or form value: 400 before PostgreSQL sees it (core/middleware.py).
    "core.middleware.NulCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(); then komando and admin wait for their TOTP code.
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a clear answer.
    "axes.middleware.AxesMiddleware",
    "core.middleware.SyncTailMiddleware",
]

ROOT_URLCONF = "sispam.urls"
ASGI_APPLICATION = "sispam.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.navigation",
                "operations.context_processors.exercise_banner",
                "operations.context_processors.phase_next",
                "incidents.context_processors.sms_fallback",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
if DATABASE_URL is None:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "var" / "sispam.sqlite3",
            # An exercise run writes while pages read: WAL lets readers go on during a write,
            # IMMEDIATE takes the write lock at BEGIN (so a transaction never fails half-way on
            # upgrading a read lock), and the busy timeout makes a writer wait, not 500.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": SQLITE_BUSY_TIMEOUT,
            },
        }
    }
else:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # psycopg 3 with Django's own pool: under ASGI every request may run in another thread,
        # so persistent per-thread connections (CONN_MAX_AGE) leak; the pool shares them safely.
        DATABASES["default"]["OPTIONS"] = {
            "pool": {"min_size": 1, "max_size": DB_POOL_MAX, "timeout": DB_POOL_TIMEOUT},
        }
        # The pool checks a connection (an empty query, ~0.07 ms) before lending it: after a
        # PostgreSQL restart its idle connections are all dead, and without the check each one
        # answered a request with a 503 (and /healthz with "down") long after the database was
        # back (found by bench/fault_drill.py; tests/test_fault_drill.py).
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2 (memory-hard) for every new or changed password; a PBKDF2 hash from before is still
# read and is rewritten as Argon2 at its user's next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = 0.25  # hours: a locked account or address may try again after 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The one trusted client address (never django-ipware's guess from forwarded headers).
AXES_CLIENT_IP_CALLABLE = "core.clientaddr.client_ip"

# --- Request bodies (core/uploads.py) ---------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # form fields and JSON bodies: 2.5 MB
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # a larger upload is spooled to a temporary file
DATA_UPLOAD_MAX_NUMBER_FILES = 10  # the report form takes five photos
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "id"
# Times in 24 hours with a colon in both languages (sispam/formats/).
FORMAT_MODULE_PATH = ["sispam.formats"]
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Jakarta"
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or EMBEDDED
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# The embedded default serves static files from the checkout (no collectstatic step).
WHITENOISE_USE_FINDERS = DEBUG or EMBEDDED

OTP_TOTP_ISSUER = "Sispam Polres Metro"

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous API call then gets 401 with WWW-Authenticate, not a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token check remembering a good token a few seconds (core/auth.py).
        "core.auth.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.access.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "core.drf.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "core.drf.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": "20/minute", "tips": "10/minute"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sispam API",
    "DESCRIPTION": "Sistem Pengamanan Pemilu, Polres Metro: the command system's API.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["core.access.IsSignedIn"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a field called "status" (or a category) with different choices: name
    # each choice set once so the schema (and the deploy check) stays unambiguous.
    "ENUM_NAME_OVERRIDES": {
        "TpsCategoryEnum": "operations.models.TpsCategory",
        "TpsStatusEnum": "operations.models.TpsStatus",
        "OfficerStatusEnum": "personnel.models.OfficerStatus",
        "BkoRequestStatusEnum": "personnel.models.BkoRequest.Status",
        "ContingentStatusEnum": "personnel.models.BkoContingent.Status",
        "AssignmentStatusEnum": "operations.models.Assignment.Status",
        "PlanStatusEnum": "operations.models.DeploymentPlan.Status",
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "AlertStatusEnum": "incidents.models.AlertStatus",
        "CustodyStepKindEnum": "logistics.models.CustodyEvent.Kind",
        "LegStatusEnum": "logistics.models.LegStatus",
    },
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
if REDIS_URL:
    # kombu's Redis transport with the fix that keeps a worker running when Redis goes away
    # while a task is unacknowledged (sispam/broker.py).
    CELERY_BROKER_TRANSPORT = "sispam.broker:Transport"
CELERY_RESULT_BACKEND = None
# Share the (disabled) result backend between threads: otherwise Celery builds it again in every
# thread, and under ASGI every request runs in a thread of its own (measured: a fifth of the
# cost of enqueuing a task from a request).
CELERY_RESULT_BACKEND_THREAD_SAFE = True
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
# Eager Celery has no beat: the web process runs the beat schedule itself (sispam/embedded_beat.py).
EMBEDDED_BEAT = env.env_bool("EMBEDDED_BEAT", default=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TIMEZONE = TIME_ZONE
# The worker and beat ride out a broker outage: retry the connection forever (with Celery's
# backoff), at start-up and after losing it, never exit (issue #16: a worker that exited with
# status 1 when Redis went away took the whole one-terminal stack down).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A publish must not hang a web request when Redis is down: fail fast, the sweeper re-enqueues.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
}
# Celery's Django fixup closes the whole connection pool before and after every task in a
# prefork worker unless told to reuse connections: a new PostgreSQL connection (a backend
# forked, authenticated) for every task, measured as the largest cost of a scoring task. With
# reuse the pool stays; sispam/celery.py hands the connection back to it after each task, as
# Django does after each request, and drops a broken one.
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

# --- Channels -------------------------------------------------------------------------------
if REDIS_URL is None:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    # Redis pub/sub: a group_send is one PUBLISH, received once by each server process, which
    # hands it to its own connected screens. The list-based RedisChannelLayer instead pushed and
    # popped one Redis message per screen (200 per alert), the largest cost of the alert feed.
    # What pub/sub gives up (a message waiting for a consumer that is briefly away) the feed
    # does not need: a screen that reconnects asks `?since=` for what it missed.
    # A connection found closed is opened again and the command sent once more: after a Redis
    # restart the layer's connections are all dead, and without the retry the first push of
    # each process was lost (and /healthz said "down") although Redis was back (found by
    # bench/fault_drill.py). One retry, no wait: during an outage it fails as fast as before.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "retry": Retry(NoBackoff(), 1),
                        "retry_on_error": [RedisConnectionError],
                    }
                ]
            },
        }
    }

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600  # one duty shift
CSRF_COOKIE_HTTPONLY = False  # htmx and the phone form read it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = HSTS_SECONDS
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Sispam ---------------------------------------------------------------------------------
# Kota Metro's bounding box (degrees): a TPS or post outside it is rejected as a typo.
CITY_BOUNDS = {"south": -5.175, "north": -5.055, "west": 105.245, "east": 105.365}
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (-5.117, 105.30),
    "DEFAULT_ZOOM": 13,
    "TILES": [("Peta", MAP_TILE_URL, {"attribution": ""})] if MAP_TILE_URL else [],
    "RESET_VIEW": False,
}
