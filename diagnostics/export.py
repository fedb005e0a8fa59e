"""An assessment as a workbook (answers with comments, section scores, the agenda), written by crm_portal.spreadsheets."""

from django.utils import timezone
from django.utils.translation import gettext as _

from crm_portal.spreadsheets import Column, Kind, Sheet


def _share(percent: float | None) -> float | None:
    """Scores are kept in percent (0-100); the sheet holds the fraction under a percent format."""
    return None if percent is None else percent / 100


def sheets(assessment, report: dict) -> list[Sheet]:
    answers = [
        [
            section["title"],
            item["text"],
            item["value"]
            if isinstance(item["value"], (int, float)) and not isinstance(item["value"], bool)
            else item["display"],
            item["points"],
            item["comment"],
        ]
        for section in report["sections"]
        for item in section["items"]
    ]
    scores = [
        [section["title"], _share(section["score"]), section["answered"], section["total"]]
        for section in report["sections"]
    ]
    # Under the table: what was assessed, by whom and when (a date cell, on the organization's calendar day).
    scores += [
        [_("Overall"), _share(report["overall"])],
        [],
        [report["title"]],
        [str(assessment.author)],
        [timezone.localtime(assessment.done_at).date()],
    ]
    agenda = [[item["section"], item["text"], item["display"], item["comment"]] for item in report["agenda"]]
    return [
        Sheet(
            _("Answers"),
            [
                Column(_("Section"), Kind.TEXT, width=24, wrap=True),
                Column(_("Question"), Kind.TEXT, width=60, wrap=True),
                Column(_("Answer"), Kind.ANY, width=12, wrap=True),
                Column(_("Points"), Kind.SHARE, width=12),
                Column(_("Comment"), Kind.TEXT, width=40, wrap=True),
            ],
            answers,
        ),
        Sheet(
            _("Scores"),
            [
                Column(_("Section"), Kind.ANY, width=36),
                Column(_("Score, %"), Kind.SHARE),
                Column(_("Answered"), Kind.INTEGER),
                Column(_("Questions"), Kind.INTEGER),
            ],
            scores,
        ),
        Sheet(
            _("Agenda"),
            [
                Column(_("Section"), Kind.TEXT),
                Column(_("Question"), Kind.TEXT, width=60),
                Column(_("Answer"), Kind.TEXT),
                Column(_("Comment"), Kind.TEXT),
            ],
            agenda,
        ),
    ]
