"""Settings for the clinic site, read from the environment only.

Every variable is documented in README.md and .env.example.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
import phonenumbers
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
BOOLEAN_WORDS = {"1", "0", "true", "false", "yes", "no", "on", "off", "y", "n", ""}


def read_env(name, kind="str", **kwargs):
    """Read one variable, failing start-up with a message that names it."""
    if kind == "bool" and env.str(name, "").strip().lower() not in BOOLEAN_WORDS:
        raise ImproperlyConfigured(
            f"{name} must be true or false, not {env.str(name)!r}"
        )
    try:
        return getattr(env, kind)(name, **kwargs)
    except ImproperlyConfigured:
        raise
    except Exception as error:
        raise ImproperlyConfigured(f"{name} is invalid: {error}") from error


DEBUG = read_env("DJANGO_DEBUG", "bool", default=False)

if DEBUG:
    SECRET_KEY = read_env(
        "DJANGO_SECRET_KEY", default="insecure-dev-only-key-do-not-deploy"
    )
else:
    SECRET_KEY = read_env("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be at least 50 characters long"
        )

if DEBUG:
    ALLOWED_HOSTS = read_env(
        "DJANGO_ALLOWED_HOSTS",
        "list",
        default=["localhost", "127.0.0.1", "[::1]", "testserver"],
    )
    SITE_URL = read_env("SITE_URL", default="http://127.0.0.1:8000")
else:
    ALLOWED_HOSTS = read_env("DJANGO_ALLOWED_HOSTS", "list")
    SITE_URL = read_env("SITE_URL")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name at least one host")
if urlsplit(SITE_URL).scheme not in {"http", "https"} or not urlsplit(SITE_URL).netloc:
    raise ImproperlyConfigured(
        f"SITE_URL must be an http(s) address such as https://clinic.example, "
        f"not {SITE_URL!r}"
    )
SITE_URL = SITE_URL.rstrip("/")
CSRF_TRUSTED_ORIGINS = read_env("DJANGO_CSRF_TRUSTED_ORIGINS", "list", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks_db",
    "axes",
    "clinic_site",
    "blog",
    "leads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.request_guards.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "leads.middleware.AttributionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
]

ROOT_URLCONF = "clinic_site.urls"
WSGI_APPLICATION = "clinic_site.wsgi.application"
SITE_ID = 1

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
                "clinic_site.context_processors.clinic",
            ],
        },
    },
]

DATABASE_ENGINES = {
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
}
DATABASES = {
    "default": read_env(
        "DATABASE_URL", "db_url", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
if DATABASES["default"].get("ENGINE") not in DATABASE_ENGINES:
    raise ImproperlyConfigured("DATABASE_URL must start with sqlite:// or postgres://")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the site read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

REDIS_URL = read_env("REDIS_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "clinic_cache",
        }
    ),
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_LOCKOUT_TEMPLATE = "axes_lockout.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = read_env("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(read_env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
FORM_RENDERER = "django.forms.renderers.DjangoTemplates"

TASKS = {
    "default": {
        "BACKEND": read_env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

if DEBUG and not read_env("EMAIL_HOST", default=""):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": read_env("EMAIL_HOST", default="localhost"),
                "port": read_env("EMAIL_PORT", "int", default=25),
                "username": read_env("EMAIL_HOST_USER", default=""),
                "password": read_env("EMAIL_HOST_PASSWORD", default=""),
                "use_tls": read_env("EMAIL_USE_TLS", "bool", default=False),
                "timeout": read_env("EMAIL_TIMEOUT", "int", default=10),
            },
        }
    }
DEFAULT_FROM_EMAIL = read_env(
    "DEFAULT_FROM_EMAIL", default="Clinic <hello@example.com>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
LEADS_NOTIFY_EMAILS = read_env("LEADS_NOTIFY_EMAILS", "list", default=[])

# Behind a TLS-terminating proxy: the header it sets, e.g.
# "HTTP_X_FORWARDED_PROTO,https". Leave unset when nothing sits in front.
PROXY_SSL_HEADER = read_env("DJANGO_PROXY_SSL_HEADER", "tuple", default=())
if PROXY_SSL_HEADER:
    if len(PROXY_SSL_HEADER) != 2:
        raise ImproperlyConfigured(
            "DJANGO_PROXY_SSL_HEADER must look like HTTP_X_FORWARDED_PROTO,https"
        )
    SECURE_PROXY_SSL_HEADER = PROXY_SSL_HEADER

# The request header that carries the visitor's address when a trusted proxy
# sits in front (e.g. HTTP_X_REAL_IP); empty means REMOTE_ADDR.
CLIENT_IP_HEADER = read_env("CLIENT_IP_HEADER", default="")

HTTPS = read_env("DJANGO_HTTPS", "bool", default=not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = read_env("DJANGO_HSTS_SECONDS", "int", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "core.log_safety.EscapingFormatter",
            "format": "{levelname} {name} {message}",
            "style": "{",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": read_env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Request bodies larger than this are refused with a 413 before they are read:
# public forms are a few kilobytes; the admin takes the logo and post images.
PUBLIC_REQUEST_MAX_BYTES = read_env("PUBLIC_REQUEST_MAX_BYTES", "int", default=65536)
ADMIN_REQUEST_MAX_BYTES = read_env(
    "ADMIN_REQUEST_MAX_BYTES", "int", default=10 * 1024 * 1024
)
for _name in ("PUBLIC_REQUEST_MAX_BYTES", "ADMIN_REQUEST_MAX_BYTES"):
    if globals()[_name] < 1024:
        raise ImproperlyConfigured(f"{_name} must be at least 1024 bytes")

# --- leads: consultation requests and newsletter sign-ups --------------------
LEADS_RATE_LIMITS_ENABLED = read_env("LEADS_RATE_LIMITS_ENABLED", "bool", default=True)


def read_rate(name, default):
    """A rate such as "5/10m": at most 5 requests per 10 minutes per IP."""
    value = read_env(name, default=default).strip()
    if not re.fullmatch(r"[1-9]\d*/(?:[1-9]\d*)?[smhd]", value):
        raise ImproperlyConfigured(
            f"{name} must look like 5/10m (a count, then seconds, minutes, hours "
            f"or days: s, m, h, d), not {value!r}"
        )
    return value


LEADS_CONTACT_RATE = read_rate("LEADS_CONTACT_RATE", "5/10m")
LEADS_SUBSCRIBE_RATE = read_rate("LEADS_SUBSCRIBE_RATE", "10/h")
LEADS_MIN_FILL_SECONDS = read_env("LEADS_MIN_FILL_SECONDS", "float", default=3.0)
LEADS_PHONE_REGION = read_env("LEADS_PHONE_REGION", default="US").upper()
if LEADS_PHONE_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        f"LEADS_PHONE_REGION must be a two-letter region such as US, "
        f"not {LEADS_PHONE_REGION!r}"
    )
# How often the worker looks for lead and sign-up emails that never went out.
LEADS_EMAIL_SWEEP_SECONDS = read_env("LEADS_EMAIL_SWEEP_SECONDS", "int", default=600)
if LEADS_EMAIL_SWEEP_SECONDS < 1:
    raise ImproperlyConfigured("LEADS_EMAIL_SWEEP_SECONDS must be at least 1")

# --- leads: newsletter delivery (issue 6) -----------------------------------


def read_positive_int(name, default, minimum=1):
    value = read_env(name, "int", default=default)
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


# Emails sent per batch, over one SMTP connection.
NEWSLETTER_BATCH_SIZE = read_positive_int("NEWSLETTER_BATCH_SIZE", 200)
# Tries per email before a temporary failure shows as failed in the admin.
NEWSLETTER_MAX_ATTEMPTS = read_positive_int("NEWSLETTER_MAX_ATTEMPTS", 5)
# Seconds before the first retry; doubles with each further attempt.
NEWSLETTER_RETRY_SECONDS = read_positive_int("NEWSLETTER_RETRY_SECONDS", 300, 0)
# Seconds after which a batch claimed by a worker that went silent is resent.
NEWSLETTER_CLAIM_TIMEOUT = read_positive_int("NEWSLETTER_CLAIM_TIMEOUT", 900, 0)
# How often the worker looks for posts that went public and unfinished sends.
NEWSLETTER_SWEEP_SECONDS = read_positive_int("NEWSLETTER_SWEEP_SECONDS", 60)
# Posts that went public longer ago than this are never emailed (imports,
# old posts when the newsletter is first switched on).
NEWSLETTER_ANNOUNCE_WITHIN_HOURS = read_positive_int(
    "NEWSLETTER_ANNOUNCE_WITHIN_HOURS", 72
)
# The weekly digest goes out on Mondays from this hour (TIME_ZONE), listing
# the posts of the week before.
NEWSLETTER_DIGEST_HOUR = read_positive_int("NEWSLETTER_DIGEST_HOUR", 9, 0)
if NEWSLETTER_DIGEST_HOUR > 23:
    raise ImproperlyConfigured(
        f"NEWSLETTER_DIGEST_HOUR must be 0 to 23, not {NEWSLETTER_DIGEST_HOUR}"
    )

# --- leads: staff triage ---------------------------------------------------
# A lead still New after this many business hours (Saturdays and Sundays do
# not count) is overdue. 24 means one business day.
LEADS_OVERDUE_BUSINESS_HOURS = read_env(
    "LEADS_OVERDUE_BUSINESS_HOURS", "int", default=24
)
# Closed leads older than this many days are anonymized by
# `manage.py purge_leads`.
LEADS_RETENTION_DAYS = read_env("LEADS_RETENTION_DAYS", "int", default=365)
for _name in ("LEADS_OVERDUE_BUSINESS_HOURS", "LEADS_RETENTION_DAYS"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be a whole number of at least 1")

# --- blog -------------------------------------------------------------------
# Per-IP flood limits for comments and likes (counted in the "default" cache).
BLOG_RATE_LIMITS_ENABLED = read_env("BLOG_RATE_LIMITS_ENABLED", "bool", default=True)
BLOG_COMMENTS_PER_HOUR = read_env("BLOG_COMMENTS_PER_HOUR", "int", default=5)
BLOG_LIKES_PER_HOUR = read_env("BLOG_LIKES_PER_HOUR", "int", default=60)
for _name in ("BLOG_COMMENTS_PER_HOUR", "BLOG_LIKES_PER_HOUR"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be a whole number of at least 1")
