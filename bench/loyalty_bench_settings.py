"""Settings of the loyalty load bench: the test settings, with a flood limit above the bench's volume."""

from crm_portal.settings.test import *  # noqa: F403

LOYALTY_SURVEY_THROTTLE = "100000/600"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
