"""Okuru settings: one module, every value from the environment (django-environ).

With no variables set it runs on embedded defaults (SQLite and the filesystem broker in var/),
which is what `make run` uses on a fresh machine.
"""

import secrets
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
VAR_DIR = Path(env("OKURU_VAR_DIR", default=str(BASE_DIR / "var")))  # SQLite, broker folders, outbox, imports

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-insecure-okuru-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://localhost:8000").rstrip("/")

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
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc assets served by whitenoise, no CDN (/api/docs/)
    "django_htmx",
    "anymail",
    "accounts",
    "leads",
    "templates_app",
    "campaigns",
    "tracking",
    "notifications",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.language.LanguageCookieMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.TenantMiddleware",
    "config.database_outage.DatabaseOutageMiddleware",  # last: a view that cannot reach PostgreSQL answers 503
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# Widgets render with the project's templates (templates/widgets/), Django's own through django.forms
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'okuru.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "leads:index"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# CSV import: the file is streamed from a temporary file, never read whole into memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
LEAD_IMPORT_MAX_BYTES = env.int("LEAD_IMPORT_MAX_BYTES", default=60 * 1024 * 1024)
LEAD_IMPORT_DIR = VAR_DIR / "imports"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG and PUBLIC_BASE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Production over HTTPS (PUBLIC_BASE_URL https and DEBUG off): HTTPS only, HSTS for a year.
_HTTPS_PRODUCTION = not DEBUG and PUBLIC_BASE_URL.startswith("https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_HTTPS_PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's liveness probe speaks plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if _HTTPS_PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_HTTPS_PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_HTTPS_PRODUCTION)
if env.bool("BEHIND_TLS_PROXY", default=False):  # the proxy terminates TLS and says so in this header
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the app append to X-Forwarded-For (0: the client is REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Content Security Policy (django-csp): no inline or foreign scripts; styles may be inline (mail previews
# carry style attributes); nothing may frame the app.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", PUBLIC_BASE_URL],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (accounts/login_throttle.py) and per-IP limits of the public endpoints (tracking/rate_limits.py).
LOGIN_FAILURES_PER_EMAIL = env.int("LOGIN_FAILURES_PER_EMAIL", default=5)
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", default=50)
LOGIN_LOCK_SECONDS = env.int("LOGIN_LOCK_SECONDS", default=900)
TRACKING_REQUESTS_PER_IP_PER_MINUTE = env.int("TRACKING_REQUESTS_PER_IP_PER_MINUTE", default=6000)  # 0: no limit
WEBHOOK_REQUESTS_PER_IP_PER_MINUTE = env.int("WEBHOOK_REQUESTS_PER_IP_PER_MINUTE", default=1200)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsTenantMember"],
    "DEFAULT_PAGINATION_CLASS": "accounts.api_pagination.PageSizePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "accounts.api_errors.json_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Okuru API",
    "DESCRIPTION": (
        "Bulk campaign mail for B2B sales teams: leads, lead lists, templates, campaigns and their results.\n\n"
        "Authenticate with the header `Authorization: Token <key>`; each user creates their key on the "
        "API token page of the user menu (/accounts/api-token/). Everything is scoped to the user's company.\n\n"
        'Lists are paginated: `{"count", "next", "previous", "results"}`, `?page=` and `?page_size=` (up to 500). '
        'Errors are JSON: `{"detail", "code"}`, or field errors `{"<field>": ["<message>"]}` for invalid input.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",  # tags (and operation ids) by resource: leads, campaigns, ...
    "COMPONENT_SPLIT_REQUEST": True,  # request bodies without the read-only fields; files as binary
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accounts.api_schema.document_errors",  # 400/401/403/404 answers, integer ids
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Celery: PostgreSQL holds the truth, the broker only wakes workers.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
SENDING_SWEEP_SECONDS = env.float("SENDING_SWEEP_SECONDS", default=15.0)  # beat's period of the two sending tasks
CELERY_BEAT_SCHEDULE = {
    "start-due-campaigns": {"task": "campaigns.start_due_campaigns", "schedule": SENDING_SWEEP_SECONDS},
    "sweep-stalled-sending": {"task": "campaigns.sweep_stalled_sending", "schedule": SENDING_SWEEP_SECONDS},
    "sync-salesforce": {"task": "integrations.sync_salesforce", "schedule": 30.0},
}

# The send path (campaigns/delivery.py). Timeouts in seconds.
SENDING_BATCH_SIZE = env.int("SENDING_BATCH_SIZE", default=200)  # per-batch queries: a fifth of a mail's cost at 50
SENDING_PARALLEL_BATCHES = env.int("SENDING_PARALLEL_BATCHES", default=4)  # chains of batches per campaign
SENDING_MAX_ATTEMPTS = env.int("SENDING_MAX_ATTEMPTS", default=6)
SENDING_RETRY_BASE_SECONDS = env.float("SENDING_RETRY_BASE_SECONDS", default=30.0)
SENDING_CLAIM_TIMEOUT = env.float("SENDING_CLAIM_TIMEOUT", default=300.0)  # claimed, never handed over: re-queued
SENDING_HANDOVER_TIMEOUT = env.float("SENDING_HANDOVER_TIMEOUT", default=300.0)  # left mid hand-over: unknown
# the database went away mid-batch: wait this long for it, then write the batch's outcomes again
SENDING_DATABASE_WAIT_SECONDS = env.float("SENDING_DATABASE_WAIT_SECONDS", default=120.0)
SENDING_STALL_SECONDS = env.float("SENDING_STALL_SECONDS", default=60.0)  # no batch for this long: chain restarted
SENDING_RATE_PER_DOMAIN = env.float("SENDING_RATE_PER_DOMAIN", default=5.0)  # mails/s per recipient domain per tenant

# Salesforce (I1): saved credentials are encrypted with Fernet. SALESFORCE_ENCRYPTION_KEY is a Fernet key
# (Fernet.generate_key()), or several comma-separated to rotate (the first encrypts, any decrypts); unset, a key is
# derived from SECRET_KEY (HKDF-SHA256), and changing SECRET_KEY then means entering the credentials again.
SALESFORCE_ENCRYPTION_KEY = env.list("SALESFORCE_ENCRYPTION_KEY", default=[])
# A tenant's Salesforce URL must be https on one of these domains (or a subdomain): no request goes anywhere else
SALESFORCE_HOST_SUFFIXES = env.list(
    "SALESFORCE_HOST_SUFFIXES", default=["salesforce.com", "force.com", "salesforce.mil"]
)

# Mail: SMTP (the local catcher in development) or a provider through django-anymail.
ESP = env("ESP", default="")
if ESP:
    EMAIL_BACKEND = f"anymail.backends.{ESP}.EmailBackend"
else:
    vars().update(env.email_url("EMAIL_URL", default="smtp://127.0.0.1:1025"))
ANYMAIL = {key[len("ANYMAIL_") :]: value for key, value in env.ENVIRON.items() if key.startswith("ANYMAIL_")}
# Provider webhooks (K4) always require basic auth: without ANYMAIL_WEBHOOK_SECRET ("user:password") a random
# secret nobody knows stands in, so an unauthenticated post is rejected rather than accepted with a warning.
ANYMAIL.setdefault("WEBHOOK_SECRET", f"{secrets.token_hex(8)}:{secrets.token_hex(16)}")
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    EMAIL_BACKEND = "campaigns.smtp_backend.EmailBackend"  # Django's, plus: a lost answer after DATA is told apart
EMAIL_BACKEND = env("EMAIL_BACKEND", default=EMAIL_BACKEND)  # optional override (benchmarks: a null provider)
# seconds an SMTP call may wait for the server: without it a provider that stops answering holds a worker
# for ever (the provider_hangs fault drill: two silent connections stopped a campaign); anymail's own is 30 s
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=30.0)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="okuru@localhost")
OUTBOX_DIR = Path(env("OUTBOX_DIR", default=str(VAR_DIR / "outbox")))  # the mail catcher's Maildir

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
