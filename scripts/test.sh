#!/usr/bin/env bash
# The test command behind `make test` and `.ci/run`: real PostgreSQL, Redis, Celery worker, Chromium.
# With arguments it runs only pytest with them (`bash scripts/test.sh -k tenancy`); without, the
# whole suite and then the passes below.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash scripts/services.sh)"
export DJANGO_SETTINGS_MODULE=crm_portal.settings.test
PYTEST=(.venv/bin/python -m pytest -p no:cacheprovider)

started=$(date +%s)
if [ $# -gt 0 ]; then
  set +e
  "${PYTEST[@]}" "$@"
  status=$?
  set -e
  echo "make test: pytest finished in $(( $(date +%s) - started )) s"
  exit $status
fi

# The tree keeps one style (rules in pyproject.toml): a lint failure stops here, before the long suite.
if ! .venv/bin/ruff check . || ! .venv/bin/ruff format --check .; then
  echo "make test: ruff found problems (run .venv/bin/ruff check --fix . and .venv/bin/ruff format .)"
  exit 1
fi
echo "make test: ruff check and ruff format --check passed"

status=0
"${PYTEST[@]}" || status=$?
echo "make test: the suite finished in $(( $(date +%s) - started )) s against ${DATABASE_URL%%:*} and ${CELERY_BROKER_URL%%:*}"

# The fault tests kill Redis and workers: a pass with a Redis server of their own on another port.
pass_started=$(date +%s)
CELERY_BROKER_URL=redis://127.0.0.1:6390/0 "${PYTEST[@]}" -q -m faults || status=$?
echo "make test: the fault tests (killed workers, a lost broker) finished in $(( $(date +%s) - pass_started )) s"

# SQL written by hand runs on both databases: the database-specific tests again on SQLite, the
# default database of `make run` (a file under var/, so a worker process would see it too).
pass_started=$(date +%s)
env -u DATABASE_URL "${PYTEST[@]}" -q -m databases --create-db || status=$?
echo "make test: the database-specific tests on SQLite finished in $(( $(date +%s) - pass_started )) s"

# The tests whose results turn on today's date, again under two shifted clocks (libfaketime moves
# the clock of pytest and of the worker it starts): the last day of a leap February, and the 1st
# of the next month, when "three months back" has to clamp to a shorter month.
for day in 2028-02-29 2028-03-01; do
  pass_started=$(date +%s)
  faketime -f "@$day 10:00:00" "${PYTEST[@]}" -q -m dates || status=$?
  echo "make test: the date-sensitive tests at $day finished in $(( $(date +%s) - pass_started )) s"
done

echo "make test: all passes finished in $(( $(date +%s) - started )) s, status $status"
exit $status
