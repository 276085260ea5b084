"""Athena Pay settings: one module, everything that varies comes from the environment.

Development defaults need nothing set (`make run`). Production sets DEBUG=false and must
provide SECRET_KEY, FIELD_ENCRYPTION_KEY, DATABASE_URL, REDIS_URL, CELERY_BROKER_URL and the
OIDC_* values; the process refuses to start on a development secret.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from athena.channel_layers import postgres_layer, redis_layer

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("ATHENA_TESTING", default=False)

# Development secrets: usable only with DEBUG or under tests; production refuses them.
DEV_SECRET_KEY = "dev-insecure-athena-secret-key-change-me-0123456789abcdefghijklmnop"  # noqa: S105
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LWluc2VjdXJlLWF0aGVuYS1maWVsZC1rZXktMDE="

SECRET_KEY = env("SECRET_KEY", default=DEV_SECRET_KEY)
# Comma-separated Fernet keys, newest first: older keys still decrypt during rotation.
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[DEV_FIELD_ENCRYPTION_KEY])
# Key of the HMAC lookup columns; defaults to one derived from the oldest encryption key.
FIELD_HASH_KEY = env("FIELD_HASH_KEY", default="")

if not DEBUG and not TESTING:
    if SECRET_KEY == DEV_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    if DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEY:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is false.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ATHENA_ISPB = env("ATHENA_ISPB", default="13140088")
# The institution's CNPJ (its first 8 digits are the ISPB) and legal name, as COAF
# communications and other regulatory documents name the reporting institution.
ATHENA_CNPJ = env("ATHENA_CNPJ", default="13140088000199")
ATHENA_LEGAL_NAME = env("ATHENA_LEGAL_NAME", default="Athena Pay Instituição de Pagamento S.A.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_prometheus",
    "simple_history",
    "django_fsm",
    "django_celery_results",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "mozilla_django_oidc",
    "csp",
    "apps.core",
    "apps.accounts",
    "apps.pix",
    "apps.boleto",
    "apps.wire",
    "apps.cards",
    "apps.loans",
    "apps.compliance",
    "apps.kyc",
    "apps.monitoring",
    "apps.privacy",
    "apps.simulators",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.ClientInputMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Content-Security-Policy (with a per-response nonce) and Permissions-Policy.
    "csp.middleware.CSPMiddleware",
    "apps.core.security_headers.PermissionsPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "apps.core.middleware.ApiErrorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "athena.urls"
WSGI_APPLICATION = "athena.wsgi.application"
ASGI_APPLICATION = "athena.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: PostgreSQL only. No DATABASE_URL means the embedded server. ---
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    # django-environ keeps a percent-encoded socket directory as it is; libpq wants the path.
    DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
else:
    from athena.embedded_pg import embedded_database_settings

    DATABASES = {"default": embedded_database_settings(VAR_DIR / "pgdata")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Athena Pay runs on PostgreSQL only.")
# Under ASGI every sync view may run on a different thread and a persistent connection per
# thread is never reused (nor closed): an ASGI process takes a psycopg pool instead
# (DB_POOL_MAX_SIZE > 0, set for the ws service in docker-compose; Django then needs
# CONN_MAX_AGE 0). gunicorn's sync workers (the web service: HTTP) serve one request at a
# time and keep one connection each (DB_CONN_MAX_AGE). Celery's prefork children must not
# inherit a pool: they leave it off.
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=0)
if DB_POOL_MAX_SIZE > 0:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
# SSD-era planner costs for our sessions (PostgreSQL's default 4.0 assumes spinning disks
# and steers statement pages onto the primary key instead of the per-account index).
DATABASES["default"]["OPTIONS"].setdefault("options", "-c random_page_cost=1.1")
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # the service is the transaction boundary
# One test database per test process, so parallel runs on one server never clobber each other.
DATABASES["default"].setdefault("TEST", {})["NAME"] = env(
    "TEST_DATABASE_NAME", default=f"test_athena_{os.getpid()}"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and channel layer: Redis when REDIS_URL is set; otherwise an in-process cache
# and the channel layer on PostgreSQL. ---
REDIS_URL = env("REDIS_URL", default="")


def _own_cache_database(url: str) -> str:
    """Under pytest-xdist each test process caches in a Redis database of its own (1, 2...):
    a test's cache.clear() flushes its whole database, which must not empty the sessions and
    counters of the tests running beside it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not (TESTING and worker.startswith("gw") and worker[2:].isdigit()):
        return url
    return urlsplit(url)._replace(path=f"/{int(worker[2:]) % 15 + 1}").geturl()


if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _own_cache_database(REDIS_URL),
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="athena"),
        }
    }
    CHANNEL_LAYERS = {"default": redis_layer(REDIS_URL, env("CHANNEL_PREFIX", default="athena"))}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Never the in-memory layer: the Celery worker's pushes must reach uvicorn's sockets in
    # another process. LISTEN/NOTIFY on the project's own database does
    # (apps/core/pg_channel_layer.py).
    CHANNEL_LAYERS = {"default": postgres_layer(env("CHANNEL_PREFIX", default="athena"))}

# --- Celery: RabbitMQ in production; a filesystem broker under var/ when none is set. ---
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="django-db")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "America/Sao_Paulo"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_RESULT_EXTENDED = True
# Tests run tasks in-process unless a test starts a real worker (tests/test_integration_*).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=TESTING)
CELERY_TASK_EAGER_PROPAGATES = True

# --- Auth: allauth for customers, OIDC (Keycloak) for staff. ---
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "apps.core.oidc.StaffOIDCBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "apps.accounts.forms.CustomerSignupForm"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Athena Pay] "
# Pages and emails name the customer, not the username allauth derives from the email.
ACCOUNT_USER_DISPLAY = "apps.accounts.views.user_display"
# Failed sign-ins, per client address and per account: the portal's and the admin's
# password logins alike (apps.core.admin_login); a refused attempt is audited by the adapter.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
ACCOUNT_ADAPTER = "apps.core.account_adapter.AccountAdapter"
# Passkeys (WebAuthn) beside TOTP: as a second factor and, on their own, to sign in.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
# Browsers treat http://localhost as secure; elsewhere WebAuthn needs https.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool(
    "MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=DEBUG or TESTING
)
MFA_TOTP_ISSUER = "Athena Pay"

OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="athena-staff")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
_oidc_realm = env("OIDC_ISSUER", default="http://localhost:8080/realms/athena").rstrip("/")
OIDC_ISSUER = _oidc_realm
OIDC_OP_AUTHORIZATION_ENDPOINT = env(
    "OIDC_OP_AUTHORIZATION_ENDPOINT", default=f"{_oidc_realm}/protocol/openid-connect/auth"
)
OIDC_OP_TOKEN_ENDPOINT = env(
    "OIDC_OP_TOKEN_ENDPOINT", default=f"{_oidc_realm}/protocol/openid-connect/token"
)
OIDC_OP_USER_ENDPOINT = env(
    "OIDC_OP_USER_ENDPOINT", default=f"{_oidc_realm}/protocol/openid-connect/userinfo"
)
OIDC_OP_JWKS_ENDPOINT = env(
    "OIDC_OP_JWKS_ENDPOINT", default=f"{_oidc_realm}/protocol/openid-connect/certs"
)
OIDC_OP_LOGOUT_ENDPOINT = env(
    "OIDC_OP_LOGOUT_ENDPOINT", default=f"{_oidc_realm}/protocol/openid-connect/logout"
)
OIDC_RP_SCOPES = "openid email profile"
OIDC_VERIFY_KID = env.bool("OIDC_VERIFY_KID", default=True)
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the RP-initiated logout
OIDC_OP_LOGOUT_URL_METHOD = "apps.core.oidc.provider_logout"
OIDC_CREATE_USER = True
# Claim holding Keycloak realm roles, as a dotted path into the ID token / userinfo.
OIDC_ROLES_CLAIM = env("OIDC_ROLES_CLAIM", default="realm_access.roles")
# Bearer JWTs must name this audience when set (a Keycloak "audience" mapper adds it).
OIDC_API_AUDIENCE = env("OIDC_API_AUDIENCE", default="")
# Clients (`azp`) whose access tokens the API takes; empty means OIDC_RP_CLIENT_ID only.
OIDC_API_AUTHORIZED_PARTIES = env.list("OIDC_API_AUTHORIZED_PARTIES", default=[])
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)  # seconds per call to Keycloak
# Staff land in the admin (the portal keeps LOGIN_REDIRECT_URL); failures go back to the
# admin login page with a message.
OIDC_CALLBACK_CLASS = "apps.core.oidc.StaffOIDCCallbackView"
OIDC_STAFF_LOGIN_REDIRECT_URL = "admin:index"
LOGIN_REDIRECT_URL_FAILURE = "/admin/login/"

# --- API ---
# Lifetime of an integrator's access token (OAuth 2.0 client credentials, POST /oauth/token).
API_TOKEN_TTL_SECONDS = env.int("API_TOKEN_TTL_SECONDS", default=3600)
# The header in which the gateway passes the integrator's verified client certificate (mutual
# TLS on the API host, deploy/nginx). Set (docker-compose: X-Client-Cert), a token is issued
# only over a client certificate and then works only over the same one (RFC 8705). Empty:
# no mTLS here (development, tests), tokens are bearer tokens.
API_CLIENT_CERT_HEADER = env("API_CLIENT_CERT_HEADER", default="")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Bearer first: its WWW-Authenticate header makes "not authenticated" a 401.
        # Integrators' client-credentials tokens (ath_...), then staff tokens (Keycloak).
        "apps.core.api_client_auth.ClientCredentialsAuthentication",
        "apps.core.oidc.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # An integrator's token reaches only views that declare its scope family: checked by
    # its authentication class, whatever a view's permission classes.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.PerUserThrottle",
        "apps.core.throttling.PerIPThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("THROTTLE_USER_RATE", default="6000/min"),
        "ip": env("THROTTLE_IP_RATE", default="12000/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.AthenaAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Size, depth and NUL limits for every JSON body (apps/core/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.SafeJSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )
SPECTACULAR_SETTINGS = {
    "TITLE": "Athena Pay API",
    "DESCRIPTION": "Payment accounts, ledger, Pix, boleto, TED, cards and loans.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Two apps name a field account_type: the TED's (the STR catalogue's TpCt) has its own.
    "ENUM_NAME_OVERRIDES": {
        "AccountTypeEnum": "apps.pix.codecs.iso20022.messages.AccountType",
        "WireAccountTypeEnum": "apps.wire.models.AccountType",
        # The loan calculators' choices, named for loans before another app says "system".
        "LoanSystemEnum": "apps.loans.api.SYSTEM_CHOICES",
        "LoanBorrowerEnum": "apps.loans.api.BORROWER_CHOICES",
    },
    # Error answers documented as the problem+json they are (apps.core.schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.schema.problem_responses",
    ],
}
APPEND_SLASH = False

# --- i18n: pt-BR first, English second. ---
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Portuguese (Brazil)")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it to exist
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Athena Pay <no-reply@athena.example>")

# --- History and audit ---
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Security: the gateway terminates TLS and forwards X-Forwarded-Proto. ---
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
# Read from the cache (Redis when set), written through to the database: a signed-in
# request does not read its session row. A session is ended through the store (the privacy
# erasure does), which drops the cached copy too.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag instead
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and <style> blocks only from our origin or
# carrying the response's nonce (`{{ request.csp_nonce }}`); no inline event handlers, no
# eval, no framing, forms post only to us and to the staff identity provider (the admin's
# logout redirects there). deploy/nginx sends the same policy on what nginx answers itself.
_oidc_origin = "{0.scheme}://{0.netloc}".format(urlsplit(OIDC_ISSUER))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:"],  # allauth's TOTP QR code is a data: URI
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],  # htmx, WebAuthn and the websockets, same origin
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF, _oidc_origin],
    }
}
# Browser features no page of ours uses are off, for us and for anything embedded; WebAuthn
# (passkeys) stays on for our own origin.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
    "serial": [],
    "hid": [],
    "bluetooth": [],
    "browsing-topics": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not TESTING)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = not TESTING
    CSRF_COOKIE_SECURE = not TESTING
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging: JSON lines on stdout, each with the request id. ---
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "apps.core.logging.RequestIdFilter"},
        # Masks CPF/CNPJ, e-mails and phone keys in every line (paths, query strings,
        # messages, tracebacks): personal data never reaches the logs.
        "personal_data": {"()": "apps.core.logging.PersonalDataFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "timestamp": "time",  # ISO 8601 in UTC
            "rename_fields": {"levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_id", "personal_data"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own loggers print through the one masked handler, not through their
        # default console handlers (runserver's request line carries the query string).
        "django": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        # The filesystem transport (no CELERY_BROKER_URL) has no host and kombu warns so at
        # every connection: noise, not news.
        "kombu.connection": {"level": "ERROR"},
    },
}

# --- Athena domain settings ---
IDEMPOTENCY_KEY_TTL = timedelta(hours=env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24))
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=200)
# Webhooks to integrators (apps/core/webhooks.py, docs/pix-webhooks.md): each POST waits at
# most WEBHOOK_TIMEOUT_SECONDS to connect and as long per read; a failed attempt is retried
# after WEBHOOK_BACKOFF_BASE_SECONDS * 2**(n-1) (with jitter, capped at
# WEBHOOK_BACKOFF_MAX_SECONDS) until WEBHOOK_MAX_ATTEMPTS attempts have been made.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_BACKOFF_BASE_SECONDS = env.int("WEBHOOK_BACKOFF_BASE_SECONDS", default=30)
WEBHOOK_BACKOFF_MAX_SECONDS = env.int("WEBHOOK_BACKOFF_MAX_SECONDS", default=3600)
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=50)  # per beat run
WEBHOOK_CONCURRENCY = env.int("WEBHOOK_CONCURRENCY", default=8)  # POSTs at once per run
# SSRF guard: in production webhook URLs must be https and reach public addresses only
# (checked when configured and again on every connection). Plain http is accepted only with
# DEBUG or ATHENA_TESTING; loopback/private/link-local targets only with this switch, which
# defaults to on for DEBUG and tests (local receivers) and must stay off in production.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=DEBUG or TESTING)
# Deliver at once after the enqueuing transaction commits (beat picks up whatever is left).
WEBHOOK_KICK_ON_COMMIT = env.bool("WEBHOOK_KICK_ON_COMMIT", default=True)

# --- operations ---
# Seconds /readyz waits for its probes (database, cache, broker) before answering 503.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=3.0)
# Celery workers and beat log through LOGGING above (JSON lines on stdout, like web) instead
# of replacing the root handler with Celery's plain-text one.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- pix ---
# Keys and the DICT (apps/pix). The interface and the production client are in
# apps/pix/adapters/dict/; the simulator, with the rules and their sources (the DICT API
# 1.8.0, BACEN's bacen/pix-dict-api, and the Manual Operacional do DICT), in
# apps/simulators/dict/. PIX_DICT_CLIENT: "simulator" (default: the national directory
# simulated in our database), "http" (the production client, XML over mTLS), or a dotted
# path to a client class. Domain code never imports a simulator: it is loaded by this path.
PIX_DICT_CLIENT = env("PIX_DICT_CLIENT", default="simulator")
PIX_DICT_CLIENTS = {
    "simulator": "apps.simulators.dict.simulator.DictSimulator",
    "http": "apps.pix.adapters.dict.http.DictHttpClient",
}
PIX_DICT_URL = env("PIX_DICT_URL", default="https://dict-h.pi.rsfn.net.br:16522/api/v1/")
PIX_DICT_CLIENT_CERT = env("PIX_DICT_CLIENT_CERT", default="")  # mTLS certificate (PEM)
PIX_DICT_CLIENT_KEY = env("PIX_DICT_CLIENT_KEY", default="")  # its private key (PEM)
PIX_DICT_CA_BUNDLE = env("PIX_DICT_CA_BUNDLE", default="")  # RSFN CA chain
PIX_DICT_TIMEOUT = env.float("PIX_DICT_TIMEOUT", default=5.0)
# XML-DSig (apps.pix.adapters.xmldsig): our signing key and ICP-Brasil certificate (PEM
# files) for the requests that change the DICT, and the DICT's certificate its answers are
# checked against. Required by the http client outside development and tests.
PIX_DICT_SIGNING_KEY = env("PIX_DICT_SIGNING_KEY", default="")
PIX_DICT_SIGNING_CERT = env("PIX_DICT_SIGNING_CERT", default="")
PIX_DICT_VERIFY_CERT = env("PIX_DICT_VERIFY_CERT", default="")
PIX_PARTICIPANT_NAME = env("PIX_PARTICIPANT_NAME", default="Athena Pay")
# Keys per account (Regulamento Pix, Resolução BCB nº 1/2020): 5 for a natural person's
# account, 20 for a company's.
PIX_MAX_KEYS_PERSON = env.int("PIX_MAX_KEYS_PERSON", default=5)
PIX_MAX_KEYS_COMPANY = env.int("PIX_MAX_KEYS_COMPANY", default=20)
# Sanctions/PEP screening (apps/compliance): hits at or above this score (0-100) alert; the
# per-process match index re-checks the active list versions at most every N seconds.
SCREENING_ALERT_THRESHOLD = env.int("SCREENING_ALERT_THRESHOLD", default=88)
SCREENING_INDEX_TTL_SECONDS = env.float(
    "SCREENING_INDEX_TTL_SECONDS", default=0.0 if TESTING else 5.0
)
# Possession proof of PHONE/EMAIL keys: a 6-digit code, stored hashed, 10 minutes, 5 tries.
PIX_OWNERSHIP_CODE_TTL = timedelta(minutes=env.int("PIX_OWNERSHIP_CODE_TTL_MINUTES", default=10))
PIX_OWNERSHIP_CODE_MAX_ATTEMPTS = env.int("PIX_OWNERSHIP_CODE_MAX_ATTEMPTS", default=5)
PIX_SMS_BACKEND = env(
    "PIX_SMS_BACKEND",
    default=(
        "apps.pix.adapters.LocmemSmsBackend" if TESTING else "apps.pix.adapters.ConsoleSmsBackend"
    ),
)
# Claims (Manual Operacional do DICT): the donor PSP has 7 days (ResolutionPeriodEnd) to
# confirm or cancel. Portability left unanswered is cancelled by the donor at the deadline
# (DEFAULT_OPERATION); an ownership claim left unanswered is confirmed by the donor at the
# deadline, and the claimer may complete it once CompletionPeriodEnd, 30 days after the
# claim opened, has passed (at once if the holder gave the key up himself).
PIX_CLAIM_RESOLUTION_PERIOD = timedelta(days=env.int("PIX_CLAIM_RESOLUTION_DAYS", default=7))
PIX_OWNERSHIP_CLAIM_COMPLETION_PERIOD = timedelta(
    days=env.int("PIX_OWNERSHIP_CLAIM_COMPLETION_DAYS", default=30)
)
# Anti-scan token buckets of getEntry (ENTRIES_READ_USER_ANTISCAN for EMAIL/PHONE keys and
# ENTRIES_READ_USER_ANTISCAN_V2 for CPF/CNPJ/EVP, API DICT 1.8.0): per end user, 100
# tokens for a natural person, 1.000 for a company, refilled 2 per minute; a key found
# costs 1, a key not found 20, a payment sent gives 1 back.
PIX_DICT_BUCKET_PERSON = env.int("PIX_DICT_BUCKET_PERSON", default=100)
PIX_DICT_BUCKET_COMPANY = env.int("PIX_DICT_BUCKET_COMPANY", default=1000)
PIX_DICT_BUCKET_REFILL_PER_MINUTE = env.float("PIX_DICT_BUCKET_REFILL_PER_MINUTE", default=2.0)
PIX_DICT_LOOKUP_COST_FOUND = env.int("PIX_DICT_LOOKUP_COST_FOUND", default=1)
PIX_DICT_LOOKUP_COST_NOT_FOUND = env.int("PIX_DICT_LOOKUP_COST_NOT_FOUND", default=20)
PIX_DICT_PAYMENT_SENT_CREDIT = env.int("PIX_DICT_PAYMENT_SENT_CREDIT", default=1)
# The SPI (interface and production client: apps/pix/adapters/spi.py). "simulator"
# (default): BACEN's instant payment system simulated in our database (apps/simulators/spi/:
# pacs.008/pacs.002/pacs.004 XML, rejections, latency, timeouts, inbound Pix); "http": the
# production client (mTLS, not reachable here); or a dotted path to a client class.
PIX_SPI_CLIENT = env("PIX_SPI_CLIENT", default="simulator")
PIX_SPI_CLIENTS = {
    "simulator": "apps.simulators.spi.simulator.SpiSimulator",
    "http": "apps.pix.adapters.spi.SpiHttpClient",
}
PIX_SPI_LATENCY_MS = env("PIX_SPI_LATENCY_MS", default="0,0" if TESTING else "5,40")  # min,max
PIX_SPI_TIMEOUT_RATE = env.float("PIX_SPI_TIMEOUT_RATE", default=0.0)  # 0.0 .. 1.0
PIX_SPI_MAX_AMOUNT_CENTS = env.int("PIX_SPI_MAX_AMOUNT_CENTS", default=100_000_000)  # AM02 above

# --- Boletos (apps/boleto) --------------------------------------------------------------
# Our COMPE bank code (the 3 digits a boleto's barcode starts with; 332 is the code of the
# ISPB above in BCB's participants list, data/bancos.csv).
ATHENA_BANK_CODE = env("ATHENA_BANK_CODE", default="332")
ATHENA_BRANCH = env("ATHENA_BRANCH", default="0001")
# The CIP registry (Nova Plataforma de Cobranca) and COMPE clearing: "simulator" (default,
# apps/simulators/cip and compe), "http", or a dotted path (apps.core.adapters).
BOLETO_CIP_CLIENT = env("BOLETO_CIP_CLIENT", default="simulator")
BOLETO_CIP_CLIENTS = {
    "simulator": "apps.simulators.cip.simulator.CipSimulator",
    "http": "apps.boleto.adapters.cip.CipHttpClient",
}
BOLETO_CIP_URL = env("BOLETO_CIP_URL", default="https://npc-h.cip-bancos.org.br/api/v1/")
BOLETO_CIP_CLIENT_CERT = env("BOLETO_CIP_CLIENT_CERT", default="")
BOLETO_CIP_CLIENT_KEY = env("BOLETO_CIP_CLIENT_KEY", default="")
BOLETO_CIP_TIMEOUT = env.float("BOLETO_CIP_TIMEOUT", default=5.0)
BOLETO_COMPE_CLIENT = env("BOLETO_COMPE_CLIENT", default="simulator")
BOLETO_COMPE_CLIENTS = {
    "simulator": "apps.simulators.compe.simulator.CompeSimulator",
    "http": "apps.boleto.adapters.compe.CompeHttpClient",
}
BOLETO_COMPE_URL = env("BOLETO_COMPE_URL", default="https://compe-h.example.invalid/api/")
BOLETO_COMPE_TIMEOUT = env.float("BOLETO_COMPE_TIMEOUT", default=10.0)
# What the issuer pays per boleto settled (the tarifa of the return file), in centavos.
BOLETO_ISSUER_FEE_CENTS = env.int("BOLETO_ISSUER_FEE_CENTS", default=150)
# Entries posted per round trip when a return file is settled (apps.boleto.settlement).
BOLETO_SETTLEMENT_BATCH = env.int("BOLETO_SETTLEMENT_BATCH", default=2000)
# --- TED through the STR (apps/wire) -----------------------------------------------------
# The STR: "simulator" (default, apps/simulators/str), "http" (the bank's RSFN message
# gateway), or a dotted path (apps.core.adapters).
WIRE_STR_CLIENT = env("WIRE_STR_CLIENT", default="simulator")
WIRE_STR_CLIENTS = {
    "simulator": "apps.simulators.str.simulator.StrSimulator",
    "http": "apps.wire.adapters.str_client.StrHttpClient",
}
WIRE_STR_URL = env("WIRE_STR_URL", default="https://rsfn-gateway.example.invalid/str/")
WIRE_STR_TIMEOUT = env.float("WIRE_STR_TIMEOUT", default=10.0)
WIRE_STR_ISPB = "00038166"  # BACEN's ISPB: the STR's messages come from and go to it
# The customer window for TEDs, Brasilia time, on B3 business days (apps/wire/windows.py).
WIRE_WINDOW = env("WIRE_WINDOW", default="06:30-17:00")
# What a TED costs the customer (posted to fee revenue), in centavos.
WIRE_FEE_CENTS = env.int("WIRE_FEE_CENTS", default=500)
# The simulated STR: its own hours, our reserves there, the delay of a bank's return.
WIRE_STR_SIM_HOURS = env("WIRE_STR_SIM_HOURS", default="06:30-18:30")
WIRE_STR_SIM_RESERVES_CENTS = env.int("WIRE_STR_SIM_RESERVES_CENTS", default=10**13)
WIRE_STR_SIM_RETURN_DELAY = env.float("WIRE_STR_SIM_RETURN_DELAY", default=0 if TESTING else 30)
# --- Cards (apps/cards) -----------------------------------------------------------------
# Our BIN (an Elo range, 506699-506778 in the public BIN list): PANs are BIN + random + Luhn.
CARDS_BIN = env("CARDS_BIN", default="506727")
# The CVV2 key (an HSM's card verification key in production). Empty: derived from
# SECRET_KEY, for development and tests only.
CARDS_CVV_KEY = env("CARDS_CVV_KEY", default="")
# How long an approval holds the money when no completion (clearing) comes.
CARDS_HOLD_HOURS = env.int("CARDS_HOLD_HOURS", default=168)
# [cards-iso settings]
# The ISO 8583 server (manage.py card_auth_server, apps/cards/iso/server.py): worker threads
# deciding at once (each with its own database connection, kept this many seconds), and
# the requests one acquirer connection may have in flight; processes sharing the port.
CARDS_ISO_PORT = env.int("CARDS_ISO_PORT", default=8583)
CARDS_ISO_PROCESSES = env.int("CARDS_ISO_PROCESSES", default=1)
CARDS_ISO_WORKERS = env.int("CARDS_ISO_WORKERS", default=8)
CARDS_ISO_CONN_MAX_AGE = env.int("CARDS_ISO_CONN_MAX_AGE", default=600)
CARDS_ISO_INFLIGHT = env.int("CARDS_ISO_INFLIGHT", default=64)
# [cards-fraud settings]
# The fraud engine (apps/cards/fraud): a score 0..1 from the rules staff tune in the admin
# and the anomaly model; at or above DECLINE the answer is 59, at or above REVIEW the purchase
# is approved and opens an item in the compliance queue (due REVIEW_DUE_HOURS later).
CARDS_FRAUD_DECLINE_THRESHOLD = env.float("CARDS_FRAUD_DECLINE_THRESHOLD", default=0.8)
CARDS_FRAUD_REVIEW_THRESHOLD = env.float("CARDS_FRAUD_REVIEW_THRESHOLD", default=0.5)
CARDS_FRAUD_REVIEW_DUE_HOURS = env.int("CARDS_FRAUD_REVIEW_DUE_HOURS", default=24)
# How long a process keeps the rules it read (a staff edit reaches every process within it).
CARDS_FRAUD_RULES_CACHE_SECONDS = env.float(
    "CARDS_FRAUD_RULES_CACHE_SECONDS", default=0 if TESTING else 5
)
# The anomaly model file (joblib, trained offline by `manage.py train_card_fraud_model`).
CARDS_FRAUD_MODEL = env("CARDS_FRAUD_MODEL", default="v1")
# [cards-clearing settings]
# The card network's clearing files (apps/cards/clearing): "simulator" (default,
# apps/simulators/cardnet), "http", or a dotted path (apps.core.adapters).
CARDS_CLEARING_CLIENT = env("CARDS_CLEARING_CLIENT", default="simulator")
CARDS_CLEARING_CLIENTS = {
    "simulator": "apps.simulators.cardnet.simulator.CardnetSimulator",
    "http": "apps.cards.adapters.clearing.ClearingHttpClient",
}
CARDS_CLEARING_URL = env("CARDS_CLEARING_URL", default="https://cardnet-h.example.invalid/api/")
CARDS_CLEARING_TIMEOUT = env.float("CARDS_CLEARING_TIMEOUT", default=10.0)
# A presentment may exceed its authorization by this much (tips, fuel): the extra is posted
# as a second debit; beyond it the extra waits in suspense for an operator.
CARDS_CLEARING_OVERCAPTURE_PERCENT = env.int("CARDS_CLEARING_OVERCAPTURE_PERCENT", default=20)
# The simulated network: present every approved authorization when it writes a file (tips
# of CARDS_CARDNET_SIM_TIP_PERCENT on restaurant MCCs); off in tests, which present by hand.
CARDS_CARDNET_SIM_AUTO_PRESENT = env.bool("CARDS_CARDNET_SIM_AUTO_PRESENT", default=not TESTING)
CARDS_CARDNET_SIM_TIP_PERCENT = env.int("CARDS_CARDNET_SIM_TIP_PERCENT", default=10)
# [cards-portal settings]
# Revealing a virtual card's PAN, expiry and CVV2 in the portal asks a second factor
# (allauth.mfa's reauthentication) used at most this many seconds before.
CARDS_REVEAL_MFA_SECONDS = env.int("CARDS_REVEAL_MFA_SECONDS", default=120)
# The card-management API's enums (apps/cards/api_cards.py), named apart from other "kind"s.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "CardKindEnum": "apps.cards.models.Card.Kind",
        "CardStatusEnum": "apps.cards.models.Card.State",
        "AuthorizationMtiEnum": "apps.cards.api.AUTHORIZATION_MTIS",
        "ReversalMtiEnum": "apps.cards.api.REVERSAL_MTIS",
    }
)
# API Pix charges (cob/cobv, docs/pix-api-v2.md). A location is PIX_LOCATION_HOST +
# "/qr/v2/<uuid hex>" (cobv: "/qr/v2/cobv/<uuid hex>"), served without auth as a JWS signed
# with PIX_PAYLOAD_SIGNING_KEY (PEM, EC P-256 or RSA). Empty: a development key derived from
# SECRET_KEY (apps/pix/charges/jws.py); production must set a real key.
PIX_LOCATION_HOST = env("PIX_LOCATION_HOST", default="pix.athena.example")
PIX_PAYLOAD_SIGNING_KEY = env("PIX_PAYLOAD_SIGNING_KEY", default="")
PIX_MERCHANT_CITY = env("PIX_MERCHANT_CITY", default="SAO PAULO")  # BR Code field 60
