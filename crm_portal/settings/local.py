"""Local run: SQLite file and a folder broker under var/, debug on. Nothing to install."""

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = SECRET_KEY or "local-only-insecure-key-change-me"  # noqa: F405

for folder in ("broker", "broker-processed", "media", "staticfiles"):
    (VAR_DIR / folder).mkdir(parents=True, exist_ok=True)

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server and the worker write at the same time: WAL lets readers go on while one
    # writes, and IMMEDIATE transactions wait for the lock instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
