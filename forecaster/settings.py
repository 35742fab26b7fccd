"""Settings, all from the environment (see README "Configuration").

FORECASTER_DATA_DIR   where the SQLite database and the key files live (default ./data)
DATABASE_URL          default SQLite in the data dir; postgres://user:pass@host:5432/name
FORECASTER_CURRENCY   base currency code (default USD); also editable in the web UI
FORECASTER_DEBUG      1 only for development; never in production
FORECASTER_ALLOWED_HOSTS  comma-separated host names the web UI answers to
FORECASTER_HTTPS      1 when served behind HTTPS: secure cookies, HSTS, redirect to https
FORECASTER_SECRET_KEY / FORECASTER_ENCRYPTION_KEY  override the generated key files
FORECASTER_ALLOW_PRIVATE_URLS  0 refuses WHMCS URLs on loopback/private networks (default 1)
FORECASTER_REQUEST_DEADLINE  seconds one request to WHMCS may take in all (default 120)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from forecaster.documents.config import storages_setting as documents_storage_setting
from forecaster.lib.env import (
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
    read_or_create_secret_file,
)
from forecaster.lib.private_files import ensure_private_dir, ensure_private_file

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
DATA_DIR = ensure_private_dir(env_path("FORECASTER_DATA_DIR", "data"))  # mode 0700 when created

DEBUG = env_bool("FORECASTER_DEBUG", False)
# Error reports hide secrets in DEBUG too (Django's own filter is off while DEBUG is on).
DEFAULT_EXCEPTION_REPORTER_FILTER = "forecaster.core.reporting.AlwaysSafeExceptionReporterFilter"

SECRET_KEY = env_str("FORECASTER_SECRET_KEY") or read_or_create_secret_file(
    DATA_DIR / "django_secret_key", lambda: secrets.token_urlsafe(50)
)

ALLOWED_HOSTS = env_list("FORECASTER_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

BASE_CURRENCY = env_str("FORECASTER_CURRENCY", "USD").strip().upper()
if not (len(BASE_CURRENCY) == 3 and BASE_CURRENCY.isalpha()):
    raise ImproperlyConfigured(f"FORECASTER_CURRENCY must be a 3-letter code; got {BASE_CURRENCY!r}")

# Outbound WHMCS calls: self-hosters often run WHMCS on the same host or LAN, so loopback and
# private ranges are allowed unless this is switched off. Link-local (cloud metadata),
# multicast, unspecified and reserved addresses are always refused (forecaster.lib.http).
ALLOW_PRIVATE_URLS = env_bool("FORECASTER_ALLOW_PRIVATE_URLS", True)
# Extra CA bundle for WHMCS servers with a private CA (TLS is always verified).
WHMCS_CA_BUNDLE = env_str("FORECASTER_CA_BUNDLE")
# The most one request to WHMCS may take in all (seconds), however slowly the answer trickles in.
WHMCS_REQUEST_DEADLINE = env_int("FORECASTER_REQUEST_DEADLINE", 120, minimum=5)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "forecaster.core",
    "forecaster.accounts",
    "forecaster.currency",
    "forecaster.systems",
    "forecaster.sync",
    "forecaster.reports",
    "forecaster.forecasts",
    "forecaster.sandbox",
    "simple_history",
    "forecaster.costs",
    "forecaster.documents",
    "forecaster.language",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "forecaster.language.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "forecaster.accounts.middleware.LoginRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "forecaster.urls"
WSGI_APPLICATION = "forecaster.wsgi.application"

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
                "forecaster.accounts.context.roles",
                "forecaster.language.context.languages",
            ],
        },
    },
]


def _database() -> dict:
    url = env_str("DATABASE_URL")
    if not url:
        # Created empty with mode 0600 before SQLite opens it: its WAL and shared-memory files
        # take the same mode, and the database holds live session keys.
        url = f"sqlite:///{ensure_private_file(DATA_DIR / 'forecaster.sqlite3')}"
    try:
        db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL I understand: {exc}") from None
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # A web process and a worker write side by side: WAL lets readers proceed during a
        # write, IMMEDIATE takes the write lock at BEGIN (no deadlock-prone lock upgrades), and
        # the busy timeout makes a writer wait instead of failing with "database is locked".
        db["CONN_MAX_AGE"] = 0
        db.pop("CONN_HEALTH_CHECKS", None)
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-64000;"
                "PRAGMA temp_store=MEMORY;"
            ),
        }
        db["TEST"] = {"NAME": env_str("FORECASTER_TEST_SQLITE_NAME") or None}
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": env_str("FORECASTER_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "forecaster.accounts.validators.UsernameNotInPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling: this many failures per username or per IP within the window lock out
# further attempts (even with the right password) until the window passes.
LOGIN_FAILURE_LIMIT = env_int("FORECASTER_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("FORECASTER_LOGIN_FAILURE_WINDOW", 900, minimum=1)

# Daily automatic synchronization: the time of day (server local time, HH:MM) and how often
# the automatic run is a full reconciliation instead of a cheap sync.
# Alert e-mail (forecaster.forecasts.alerts): printed to the service's output unless an SMTP
# server is configured.
EMAIL_BACKEND = env_str("FORECASTER_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("FORECASTER_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("FORECASTER_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("FORECASTER_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("FORECASTER_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("FORECASTER_EMAIL_TLS", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("FORECASTER_EMAIL_FROM", "forecaster@localhost")
AUTO_SYNC_TIME = env_str("FORECASTER_AUTO_SYNC_TIME", "03:30")
FULL_RECONCILE_DAYS = env_int("FORECASTER_FULL_RECONCILE_DAYS", 7, minimum=1)

# The web UI speaks English, Polish and Russian: the language a user stored (menu switcher),
# else the language cookie, else the browser's Accept-Language, else English. The CLI stays
# English. Catalogues: one per app in forecaster/<app>/locale/, and forecaster/locale/ for the
# shared templates and lib (CONTRIBUTING.md, "Translations").
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pl", "Polish"), ("ru", "Russian")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Dates and numbers in each language's format (forecaster/formats overrides English and Polish
# short dates so text and date inputs agree). Downloads (CSV, JSON) keep machine formats.
FORMAT_MODULE_PATH = ["forecaster.formats"]
TIME_ZONE = env_str("FORECASTER_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it, even when empty
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", PROJECT_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", PROJECT_DIR / "node_modules" / "chart.js" / "dist"),
]
# Document files (PDFs): local disk in the data dir by default, or WebDAV / S3 (README
# "Documents"). The storage API keeps the rest of the code unaware of which.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names and gzip copies once `forecaster serve` collected them (forecaster.core.staticfiles).
    "staticfiles": {"BACKEND": "forecaster.core.staticfiles.StaticStorage"},
    "documents": documents_storage_setting(os.environ, DATA_DIR),
}
# The largest PDF accepted (MB).
DOCUMENTS_MAX_MB = env_int("FORECASTER_DOCUMENTS_MAX_MB", 25, minimum=1)
# Static files are served by the app itself (no CDN): the collected, hashed and compressed copies
# (cached for a year), and before anything is collected the source files found in place.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): every script and style comes from our own static files;
# no inline script, inline style, eval, plugin, frame or foreign form target is allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

HTTPS = env_bool("FORECASTER_HTTPS", False)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
else:
    # Served over plain HTTP on loopback by default (a reverse proxy adds TLS). These four
    # deployment checks only make sense behind HTTPS; FORECASTER_HTTPS=1 turns them back on.
    SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("FORECASTER_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # httpx logs request lines; we log our own, redacted
        "httpcore": {"level": "WARNING"},
    },
}
