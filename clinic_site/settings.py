"""Settings for the clinic site, read from the environment only.

Every variable is documented in README.md and .env.example.
"""

from pathlib import Path
from urllib.parse import urlsplit

import phonenumbers
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from clinic_site.environment import (
    read_email_provider,
    read_env,
    read_positive_int,
    read_rate,
    read_renamed,
)

BASE_DIR = Path(__file__).resolve().parent.parent


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
# Paths that keep Django's CSRF token (and its cookie); every other form is
# protected by its Origin / Sec-Fetch-Site headers alone (core/csrf.py).
CSRF_TOKEN_PATH_PREFIXES = ("/admin/", "/staff/")
# core.csrf.OriginCsrfViewMiddleware subclasses Django's CsrfViewMiddleware,
# which the deploy check looks for by its exact path.
SILENCED_SYSTEM_CHECKS = ["security.W003"]

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
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "anymail",
    "core",
    "staff",
    "blog",
    "selfcheck",
    "care",
    "leads",
    "newsletter",
    "insights",
    "clinic_site",
]

MIDDLEWARE = [
    # First, so that a kept page carries every header a fresh one does.
    "core.page_cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages leave compressed (static files already are, by WhiteNoise);
    # Django pads the body against BREACH. Inside the page cache, which keeps
    # a gzipped and a plain copy (its key says which) and never compresses
    # on a hit.
    "django.middleware.gzip.GZipMiddleware",
    "core.request_guards.RequestGuardMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.csrf.OriginCsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "staff.middleware.StaffSessionMiddleware",
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
                "core.context_processors.clinic",
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
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "clinic_cache",
        }
    ),
    "local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}

# The page cache for anonymous visitors (core/page_cache.py): pages are kept
# in each process's memory, under a content version read per request from
# the shared "default" cache (Redis, or the database's cache table).
PAGE_CACHE_ENABLED = read_env("PAGE_CACHE_ENABLED", "bool", default=True)
PAGE_CACHE_SECONDS = read_positive_int("PAGE_CACHE_SECONDS", 3600)
PAGE_CACHE_VERSION_CACHE = "default"
PAGE_CACHE_PAGES_CACHE = "local"
PAGE_CACHE_VIEWS = {
    "home",
    "robots_txt",
    "django.contrib.sitemaps.views.sitemap",
    "blog:post_list",
    "blog:feed",
    "blog:feed_atom",
    "blog:topic_detail",
    "blog:topic_feed",
    "blog:author_detail",
    "blog:post_detail",
    "care:location_list",
    "care:location_detail",
    "care:treatment_list",
    "care:treatment_detail",
    "care:faq",
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

# EMAIL_PROVIDER: smtp (the EMAIL_* variables below) or a provider's API
# through django-anymail, with its credentials under anymail's own names
# (README: the table of providers). ANYMAIL_WEBHOOK_SECRET guards the
# bounce and complaint webhooks at /email/webhooks/<provider>/tracking/.
EMAIL_PROVIDER, EMAIL_PROVIDER_BACKEND, ANYMAIL = read_email_provider()
if EMAIL_PROVIDER_BACKEND:
    MAILERS = {"default": {"BACKEND": EMAIL_PROVIDER_BACKEND}}
elif DEBUG and not read_env("EMAIL_HOST", default=""):
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


# Retries of every email (lead, sign-up and staff emails, newsletter, digest):
# tries per email before a temporary failure counts as failed, and seconds
# before the first retry, doubling with each further try (at most an hour).
# NEWSLETTER_MAX_ATTEMPTS and NEWSLETTER_RETRY_SECONDS, their former names,
# are still read when the new ones are not set.
MAIL_MAX_ATTEMPTS = read_positive_int(
    "MAIL_MAX_ATTEMPTS", read_positive_int("NEWSLETTER_MAX_ATTEMPTS", 8)
)
MAIL_RETRY_SECONDS = read_positive_int(
    "MAIL_RETRY_SECONDS", read_positive_int("NEWSLETTER_RETRY_SECONDS", 60, 0), 0
)

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


# --- public forms: contact, sign-up, comment, like (core.protections) ---------
PUBLIC_FORM_RATE_LIMITS_ENABLED = read_renamed(
    "PUBLIC_FORM_RATE_LIMITS_ENABLED",
    ["LEADS_RATE_LIMITS_ENABLED", "BLOG_RATE_LIMITS_ENABLED"],
    "bool",
    default=True,
)
PUBLIC_FORM_MIN_FILL_SECONDS = read_renamed(
    "PUBLIC_FORM_MIN_FILL_SECONDS", ["LEADS_MIN_FILL_SECONDS"], "float", default=3.0
)
LEADS_CONTACT_RATE = read_rate("LEADS_CONTACT_RATE", "5/10m")
LEADS_SUBSCRIBE_RATE = read_rate("LEADS_SUBSCRIBE_RATE", "10/h")
BLOG_COMMENT_RATE = read_rate("BLOG_COMMENT_RATE", "5/h", "BLOG_COMMENTS_PER_HOUR")
BLOG_LIKE_RATE = read_rate("BLOG_LIKE_RATE", "60/h", "BLOG_LIKES_PER_HOUR")
# A post goes public only with a medical reviewer and references (blog.checklist);
# off, the admin asks the editor to confirm instead.
BLOG_REQUIRE_REVIEW = read_env("BLOG_REQUIRE_REVIEW", "bool", default=False)

# --- leads: consultation requests and newsletter sign-ups --------------------
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

# Emails sent per batch, over one SMTP connection.
NEWSLETTER_BATCH_SIZE = read_positive_int("NEWSLETTER_BATCH_SIZE", 500)
# Seconds after which a batch claimed by a worker that went silent is resent.
NEWSLETTER_CLAIM_TIMEOUT = read_positive_int("NEWSLETTER_CLAIM_TIMEOUT", 900, 0)
# The provider's sending limits, held by all workers together (0: no limit).
NEWSLETTER_MAX_PER_SECOND = read_positive_int("NEWSLETTER_MAX_PER_SECOND", 0, 0)
NEWSLETTER_MAX_PER_HOUR = read_positive_int("NEWSLETTER_MAX_PER_HOUR", 0, 0)
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

# --- periodic jobs ----------------------------------------------------------
# Everything the worker does on a clock, with how often (seconds). The worker
# checks every PERIODIC_TICK_SECONDS which jobs are due.
PERIODIC_TICK_SECONDS = read_positive_int("PERIODIC_TICK_SECONDS", 30)
PERIODIC_JOBS = {
    "leads.tasks.enqueue_unsent_emails": LEADS_EMAIL_SWEEP_SECONDS,
    "newsletter.announcing.sweep": NEWSLETTER_SWEEP_SECONDS,
    "newsletter.announcing.send_weekly_digest_if_due": NEWSLETTER_SWEEP_SECONDS,
    "leads.privacy.purge_expired_leads": 86400,
    "core.spool.drain": 30,
    "blog.scheduling.refresh_pages_for_due_posts": PERIODIC_TICK_SECONDS,
}

# While the database is down, accepted requests wait here (a private folder;
# a volume in Docker) until the worker or the web process stores them.
SPOOL_DIR = Path(read_env("SPOOL_DIR", default=str(BASE_DIR / "spool")))
SPOOL_HANDLERS = {
    "lead": "leads.services.store_spooled_lead",
    "subscription": "leads.services.sign_up",
}

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

# --- staff: sign-in, second factor, lockout (issue 10) ---------------------
# Staff sign in through django-allauth (username and password, then an
# authenticator app, a passkey or a recovery code); the admin's own login
# page sends them there. Nobody can sign up: staff accounts are made in the
# admin.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "admin:index"
ACCOUNT_ADAPTER = "staff.adapter.StaffAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
# Failed passwords are counted by django-axes (below); allauth's own
# per-username limit would let anyone lock a named person out.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip"}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "Clinic back office"
# A code typed as the phone moves on to the next one still counts (RFC 6238
# allows a step either way for clock drift and typing time); each code works once.
MFA_TOTP_TOLERANCE = 1
MFA_PASSKEY_LOGIN_ENABLED = False
# Passkeys need https, except on http://localhost during development.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# Without a second factor a staff member sees only the page that sets one up.
# On by default in production, off under `make run`.
STAFF_MFA_REQUIRED = read_env("STAFF_MFA_REQUIRED", "bool", default=not DEBUG)
# A staff session ends after this many minutes without a request.
STAFF_SESSION_IDLE_MINUTES = read_positive_int("STAFF_SESSION_IDLE_MINUTES", 120)
# Exports and the personal-data tool ask for the second factor again when the
# last check is older than this.
STAFF_RECENT_MFA_MINUTES = 15

# Failed logins count per real client address (behind the proxy too) and per
# address and username: one address cannot lock out everyone behind the
# proxy, and many addresses cannot lock out one named person; the attacking
# address itself is locked. Lockouts expire after AXES_COOLOFF_TIME and are
# listed in the admin under "Access attempts".
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
