"""Production: every secret and address from the environment; HTTPS-only cookies."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

for required in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL"):
    if not os.environ.get(required):
        raise ImproperlyConfigured(f"{required} must be set in production")

# Links in e-mails (survey links, invitations) must point at the real address, never at a
# developer's machine: with a mail server configured, the portal's address is required.
if os.environ.get("EMAIL_HOST") and not os.environ.get("PORTAL_BASE_URL", "").startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "PORTAL_BASE_URL (the portal's https:// address) must be set in production when EMAIL_HOST is set"
    )

DEBUG = False
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# A cache shared by every web process, so per-address limits (survey flood guard) hold across
# workers: CACHE_URL if given, else the Redis that serves as the broker.
# https://docs.djangoproject.com/en/5.2/topics/cache/#redis
_cache_url = os.environ.get("CACHE_URL") or os.environ["CELERY_BROKER_URL"]
if _cache_url.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
