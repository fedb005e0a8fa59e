"""Test run: DATABASE_URL and CELERY_BROKER_URL point at real PostgreSQL and Redis in CI."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

SECRET_KEY = SECRET_KEY or "test-only-insecure-key"  # noqa: F405
DEBUG = False
# Fast hashing in tests; Argon2 stays first in every other environment.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so that a worker process sees the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}

for folder in ("broker", "broker-processed", "media", "staticfiles"):
    (VAR_DIR / folder).mkdir(parents=True, exist_ok=True)

# The test suite starts a real worker process and points it at the test database by name.
if os.environ.get("CRM_WORKER_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["CRM_WORKER_DB_NAME"]
