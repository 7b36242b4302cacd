"""Throughline settings, read from the environment and validated at start-up.

With no environment at all this gives the embedded mode: SQLite in the project folder, Celery
tasks run eagerly in-process, e-mail printed to the console. Production sets DATABASE_URL,
REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and HTTPS_ONLY=true (see README, "Configuration").
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import Env

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

DEBUG = env.get_bool("DEBUG", default=False)
HTTPS_ONLY = env.get_bool("HTTPS_ONLY", default=False)

_DEV_SECRET = "insecure-embedded-mode-key-never-use-in-production-3f9a1c7e5b2d4e6f8a0b"  # noqa: S105
SECRET_KEY = env.get_str("SECRET_KEY", required=HTTPS_ONLY) or _DEV_SECRET
if HTTPS_ONLY and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "Environment variable SECRET_KEY must be a random string of at least 50 characters "
        "when HTTPS_ONLY is on."
    )

ALLOWED_HOSTS = env.get_list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "governance",
    "measures",
    "approvals",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Needs the user; wraps the rest of the request in the tenant's database scope.
    "governance.middleware.TenantScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees the login view's answer and turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "governance.context_processors.tenancy",
                "governance.context_processors.notifications",
            ],
        },
    },
]
# Every form renders through templates/forms/*.html (Bootstrap 5 markup, one place).
FORM_RENDERER = "governance.forms.base.BootstrapFormRenderer"

DATABASES = {
    "default": env.get_database(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'throughline.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.get_int("DB_CONN_MAX_AGE", default=0, minimum=0)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # A test database on SQLite lives on disk too, so a live server thread shares it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_throughline.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL only: the role every tenant-scoped transaction switches to (SET LOCAL ROLE). It must
# not own the tables nor bypass row-level security, so the policies apply to it; migrations
# create it if they may and grant it the table privileges (governance.rls). Empty: no switch.
DATABASE_ROLE = env.get_identifier("DATABASE_ROLE", default="")

REDIS_URL = env.get_str("REDIS_URL", default="")
if REDIS_URL:
    env.get_url("REDIS_URL", REDIS_URL, schemes=("redis", "rediss", "unix"))
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "throughline",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username + address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes). A username tried from one address that fails
# LOGIN_FAILURE_LIMIT times in a row is refused for LOGIN_LOCKOUT_MINUTES, even with the right
# password; a successful login before that clears the count. Only django.contrib.auth's
# authenticate() is watched (the login page, the admin): API tokens never pass through it, so
# integrations are neither counted nor locked out.
LOGIN_FAILURE_LIMIT = env.get_int("LOGIN_FAILURE_LIMIT", default=5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env.get_int("LOGIN_LOCKOUT_MINUTES", default=15, minimum=1)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # shared by every web process
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout lasts LOGIN_LOCKOUT_MINUTES from the failure that caused it, as the page says;
# further tries while locked out do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "governance.views.auth.lockout_response"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.get_str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# Off: a template must never print an id as "1,359" into a link or a form value. Amounts are
# grouped where they are shown, explicitly (``floatformat:"0g"``, ``intcomma``).
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if HTTPS_ONLY
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not HTTPS_ONLY
MEDIA_ROOT = Path(env.get_str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"
# Milestone evidence: the largest file accepted, and the kinds of file accepted (by extension;
# each extension's content types are fixed in measures.services.evidence).
THROUGHLINE_EVIDENCE_MAX_BYTES = env.get_int(
    "THROUGHLINE_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024, minimum=1
)
THROUGHLINE_EVIDENCE_EXTENSIONS = env.get_list(
    "THROUGHLINE_EVIDENCE_EXTENSIONS",
    default=["pdf", "png", "jpg", "xlsx", "docx", "csv", "txt", "msg", "eml"],
)

# E-mail: console by default; EMAIL_BACKEND and EMAIL_* select a real server.
EMAIL_BACKEND = env.get_str(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env.get_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.get_int("EMAIL_PORT", default=25, minimum=1)
EMAIL_HOST_USER = env.get_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.get_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.get_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL", default="Throughline <noreply@localhost>")
EMAIL_USE_SSL = env.get_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.get_int("EMAIL_TIMEOUT", default=30, minimum=1)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set at most one of EMAIL_USE_TLS and EMAIL_USE_SSL.")
# Where people reach the site: links in e-mails are this plus the page's path.
THROUGHLINE_BASE_URL = env.get_url(
    "THROUGHLINE_BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https")
)

# Approvals: reminders go to the approvers of a step due within this many hours (once per step).
APPROVAL_REMINDER_HOURS = env.get_int("APPROVAL_REMINDER_HOURS", default=24, minimum=1)
# How often beat runs the approvals sweep (expiry and reminders), in minutes (schedule_sync).
APPROVAL_SWEEP_MINUTES = env.get_int("APPROVAL_SWEEP_MINUTES", default=15, minimum=1)
# How often beat sweeps the ripple outbox and escalates overdue exception cases, in minutes.
RIPPLE_SWEEP_MINUTES = env.get_int("RIPPLE_SWEEP_MINUTES", default=5, minimum=1)
# A recompute opening more exception cases than this tells each person once, in a digest.
RIPPLE_DIGEST_AFTER = env.get_int("RIPPLE_DIGEST_AFTER", default=10, minimum=0)
# Reporting: a failed report run is retried after this many seconds, then four times as many.
REPORT_RETRY_BASE_SECONDS = env.get_int("REPORT_RETRY_BASE_SECONDS", default=3, minimum=0)

# Celery: with no broker configured, tasks run eagerly in-process (embedded mode).
CELERY_BROKER_URL = env.get_str("CELERY_BROKER_URL", default=REDIS_URL)
if CELERY_BROKER_URL:
    env.get_url("CELERY_BROKER_URL", CELERY_BROKER_URL, schemes=("redis", "rediss", "memory"))
CELERY_RESULT_BACKEND = env.get_str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.get_bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
# What beat runs is in config/schedule.py (``manage.py schedule_sync`` writes it).

# Outgoing webhooks go only to public internet addresses unless this is on (a closed network,
# the embedded mode, tests with a local receiver).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.get_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)

# API rate limits (governance.api.throttling): per token for integrations, per user for browser
# sessions; anonymous requests count per client address at the user rate.
API_RATE_TOKEN = env.get_rate("API_RATE_TOKEN", default="600/min")
API_RATE_USER = env.get_rate("API_RATE_USER", default="1200/min")

_RENDERERS = ["rest_framework.renderers.JSONRenderer"]
if DEBUG:
    _RENDERERS.append("rest_framework.renderers.BrowsableAPIRenderer")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["governance.api.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": API_RATE_TOKEN,
        "user": API_RATE_USER,
        "anon": API_RATE_USER,
    },
    # The client address is REMOTE_ADDR: a client-sent X-Forwarded-For is not trusted.
    "NUM_PROXIES": 0,
    "DEFAULT_PAGINATION_CLASS": "governance.api.pagination.StablePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "governance.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": _RENDERERS,
    "DEFAULT_PARSER_CLASSES": [
        "governance.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Throughline API",
    "DESCRIPTION": (
        "Execution governance: the Organization → Portfolio → Program → Project → "
        "Measure Package → Measure hierarchy. Authenticate with `Authorization: Token <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for the Degree of Implementation wherever it appears (doi, to, doi_before_hold).
    # Choice sets named after what they are, not after the field that happens to hold them.
    "ENUM_NAME_OVERRIDES": {
        "DegreeOfImplementation": "measures.models.stages.DoI",
        "ImplementationStatus": "measures.models.milestones.ImplementationStatus",
        "RiskStatus": "measures.models.risks.RiskStatus",
        "PotentialStatus": "measures.models.financials.PotentialStatus",
        "DecisionKind": "governance.models.decisions.DecisionKind",
        "CaseState": "governance.models.exceptions.CaseState",
        "TradeOff": "governance.models.exceptions.TradeOff",
        "ApprovalKind": "approvals.models.KIND_CHOICES",
        "RequestState": "approvals.models.RequestState",
        "Role": "governance.models.tenancy.Role",
        # A controller's verdict on an actual (measures.services.financials.DECISIONS).
        "Verdict": ["validate", "partial", "reject"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "governance.api.schema.postprocess_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.get_str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Security events (refused requests, failed logins, lockouts) are written whatever
        # LOG_LEVEL says; they reach the console handler of the root logger.
        "throughline.security": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}

# Database sessions that ignore cookie values Django never issues as keys.
SESSION_ENGINE = "config.sessions"

# Production hardening: on whenever the site is served over HTTPS.
# Cookies: never readable by scripts (pages and htmx take the CSRF token from the template, not
# the cookie) and not sent on cross-site subrequests; Secure on top with HTTPS_ONLY.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if HTTPS_ONLY:
    SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", default=31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Demo and benchmark seeding reuse this password for every generated user.
DEMO_PASSWORD = env.get_str("DEMO_PASSWORD", default="throughline-demo")
