#!/usr/bin/env bash
# The test command behind `make test` and `.ci/run`: real PostgreSQL, Redis, Celery worker, Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash scripts/services.sh)"
export DJANGO_SETTINGS_MODULE=crm_portal.settings.test

started=$(date +%s)
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
echo "make test: pytest finished in $(( $(date +%s) - started )) s against ${DATABASE_URL%%:*} and ${CELERY_BROKER_URL%%:*}"
exit $status
