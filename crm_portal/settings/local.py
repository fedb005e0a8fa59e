"""Local run: SQLite file and a folder broker under var/, debug on. Nothing to install."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = SECRET_KEY or "local-only-insecure-key-change-me"  # noqa: F405

for folder in ("broker", "broker-processed", "media", "staticfiles"):
    (VAR_DIR / folder).mkdir(parents=True, exist_ok=True)
