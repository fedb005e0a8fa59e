"""Reactions to other apps' signals."""

import logging

from django.core.exceptions import ValidationError

from . import services

logger = logging.getLogger(__name__)


def on_complaint_closed(sender, complaint, **kwargs) -> None:
    """A closed complaint sends its client a short CSAT survey."""
    try:
        services.complaint_followup_start(complaint=complaint)
    except ValidationError:
        # Closing the complaint has already succeeded; a survey that cannot start must not undo it.
        logger.warning("no follow-up survey for complaint %s", complaint.pk, exc_info=True)
