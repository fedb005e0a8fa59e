"""Settings shared by every environment; each value a deploy changes comes from the environment."""

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CRM_VAR_DIR", BASE_DIR / "var"))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# https://docs.djangoproject.com/en/5.2/ref/settings/#installed-apps
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "csp",
    "bootstrap",  # django-bootstrap-static: Bootstrap's CSS/JS as static files, no CDN
    "crm_portal",
    "clients",
    "segmentation",
    "loyalty",
    "diagnostics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm_portal.tenancy.OrganizationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "crm_portal.middleware.JobLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # axes must come last: it inspects the response of the login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm_portal.urls"
WSGI_APPLICATION = "crm_portal.wsgi.application"

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
                "crm_portal.context_processors.portal",
            ],
            # `|unlocalize` in every template: ids, years and attribute values are never grouped
            # (USE_THOUSAND_SEPARATOR below).
            "builtins": ["django.templatetags.l10n"],
        },
    },
]

# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# DATABASE_URL takes sqlite:///path or postgres://user:pass@host:port/name.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): 5 failures per username and IP lock that pair for 15 minutes.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The same address as every other per-address guard (TRUSTED_PROXY_COUNT below decides it).
AXES_CLIENT_IP_CALLABLE = "crm_portal.client_address.client_address"

# https://docs.djangoproject.com/en/5.2/topics/i18n/
LANGUAGE_CODE = "en"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True
# Every number a page shows is grouped the reader's way ("23 570" in Russian, "23,570" in
# English). Numbers that are not amounts (ids, years, page numbers, values of form inputs and
# attributes) are written with `|unlocalize` in templates.
# https://docs.djangoproject.com/en/5.2/ref/settings/#use-thousand-separator
USE_THOUSAND_SEPARATOR = True

# https://docs.djangoproject.com/en/5.2/howto/static-files/
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
# Third-party assets come from installed packages (Bootstrap from django-bootstrap-static,
# htmx from django-htmx, Plotly's bundle from plotly), never from a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("plotly", Path(importlib.util.find_spec("plotly").origin).parent / "package_data"),
]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads above this size are refused before parsing (segmentation reads it).
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Content-Security-Policy: only our own origin; no outside host is ever referenced.
# Styles allow 'unsafe-inline' because the charting library injects its own <style> rules.
# https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Without CELERY_BROKER_URL the broker is a folder on disk: no server to install,
# while jobs still run in a separate worker process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
# The longest a job may run (a whole-base import or ABC/XYZ run takes minutes): the worker stops a
# job at this limit, so no job ever outlives the broker's visibility timeout below.
JOBS_TIME_LIMIT_SECONDS = int(os.environ.get("JOBS_TIME_LIMIT_SECONDS", str(2 * 3600)))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "broker"),
        "data_folder_out": str(VAR_DIR / "broker"),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        # The exchange tables (kombu's default is a "control" folder in the working directory).
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    # Redis gives a message taken by a worker that never acknowledged it to another worker after
    # this long: longer than any job may run, so a slow job is never run twice at once. A worker
    # that died is noticed sooner by the job sweeper (JOBS_STALE_SECONDS).
    # https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
    else {"visibility_timeout": JOBS_TIME_LIMIT_SECONDS + 3600}
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # job state lives in the Job table
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TIME_LIMIT = JOBS_TIME_LIMIT_SECONDS
# Filled from the `schedules` of each app's AppConfig when the apps are ready (crm_portal/apps.py).
CELERY_BEAT_SCHEDULE: dict = {}
# The job sweeper (crm_portal/job_sweeper.py, every JOBS_SWEEP_SECONDS): a running job touches its
# row every JOBS_HEARTBEAT_SECONDS; one silent for JOBS_STALE_SECONDS lost its worker and runs again,
# up to JOBS_MAX_ATTEMPTS takes; a job queued for JOBS_RESEND_SECONDS whose message the broker no
# longer holds is sent again.
JOBS_SWEEP_SECONDS = int(os.environ.get("JOBS_SWEEP_SECONDS", "60"))
# How often the notifications of the people who chose e-mail are sent (crm_portal.services.notifications_email).
NOTIFICATIONS_EMAIL_SECONDS = int(os.environ.get("NOTIFICATIONS_EMAIL_SECONDS", "300"))
JOBS_HEARTBEAT_SECONDS = float(os.environ.get("JOBS_HEARTBEAT_SECONDS", "15"))
JOBS_STALE_SECONDS = int(os.environ.get("JOBS_STALE_SECONDS", "120"))
JOBS_RESEND_SECONDS = int(os.environ.get("JOBS_RESEND_SECONDS", "180"))
JOBS_MAX_ATTEMPTS = int(os.environ.get("JOBS_MAX_ATTEMPTS", "3"))
# Jobs a person may have queued or running per organization at once (scheduled jobs not counted).
JOBS_ACTIVE_LIMIT = int(os.environ.get("JOBS_ACTIVE_LIMIT", "20"))

# E-mail (survey links, reminders): https://docs.djangoproject.com/en/5.2/topics/email/
# Without settings, messages are written as files under var/mail, so nothing leaves the machine.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crm-portal@localhost")
# The portal's address for links in e-mails (a task has no request to take it from);
# production refuses to start without it once EMAIL_HOST is set.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")

# How many reverse proxies stand in front of the portal. 0: REMOTE_ADDR is the client; n > 0:
# the client is the address the outermost proxy appended to X-Forwarded-For (the sign-in lockout
# and the survey flood guard count per that address; a header no proxy of ours wrote is never trusted).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
