"""An assessment as an .xlsx workbook: answers with comments, section scores and the agenda."""

import datetime
import io

import xlsxwriter
from django.utils import formats, timezone
from django.utils.translation import gettext as _

DANGEROUS_STARTS = ("=", "+", "-", "@")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def safe(value):
    """Numbers stay numbers; text that a spreadsheet could read as a formula gets a leading '."""
    if value is None:
        return ""
    if _is_number(value):
        return value
    text = str(value)
    return "'" + text if text.startswith(DANGEROUS_STARTS) else text


# Django's date format letters and Excel's number format codes of the same parts.
EXCEL_DATE_PARTS = {"d": "dd", "j": "d", "m": "mm", "n": "m", "Y": "yyyy", "y": "yy"}


def excel_date_format(django_format: str) -> str:
    """The reader's short date format ("d.m.Y") as an Excel number format ("dd.mm.yyyy")."""
    return "".join(EXCEL_DATE_PARTS.get(char, char) for char in django_format)


def workbook(assessment, report: dict) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    sheet = book.add_worksheet(_("Answers")[:31])
    headers = [_("Section"), _("Question"), _("Answer"), _("Points"), _("Comment")]
    sheet.write_row(0, 0, headers, bold)
    row = 1
    for section in report["sections"]:
        for item in section["items"]:
            answer = item["value"] if _is_number(item["value"]) else safe(item["display"])
            values = [safe(section["title"]), safe(item["text"]), answer,
                      "" if item["points"] is None else round(item["points"] * 100, 1), safe(item["comment"])]
            for column, value in enumerate(values):
                if _is_number(value):
                    sheet.write_number(row, column, value)
                else:
                    sheet.write_string(row, column, value, wrap)
            row += 1
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 60)
    sheet.set_column(2, 3, 12)
    sheet.set_column(4, 4, 40)

    scores = book.add_worksheet(_("Scores")[:31])
    scores.write_row(0, 0, [_("Section"), _("Score, %"), _("Answered"), _("Questions")], bold)
    for index, section in enumerate(report["sections"], start=1):
        scores.write_string(index, 0, safe(section["title"]))
        if section["score"] is not None:
            scores.write_number(index, 1, section["score"])
        scores.write_number(index, 2, section["answered"])
        scores.write_number(index, 3, section["total"])
    last = len(report["sections"]) + 1
    scores.write_string(last, 0, _("Overall"), bold)
    if report["overall"] is not None:
        scores.write_number(last, 1, report["overall"])
    scores.set_column(0, 0, 36)
    scores.write_string(last + 2, 0, safe(report["title"]))
    scores.write_string(last + 3, 0, safe(str(assessment.author)))
    # A real date cell shown in the reader's format (not an ISO string), on the organization's calendar day.
    day = timezone.localtime(assessment.done_at).date()
    date_format = book.add_format({"num_format": excel_date_format(formats.get_format("SHORT_DATE_FORMAT")),
                                   "align": "left"})
    scores.write_datetime(last + 4, 0, datetime.datetime.combine(day, datetime.time()), date_format)

    agenda = book.add_worksheet(_("Agenda")[:31])
    agenda.write_row(0, 0, [_("Section"), _("Question"), _("Answer"), _("Comment")], bold)
    for index, item in enumerate(report["agenda"], start=1):
        agenda.write_row(index, 0, [safe(item["section"]), safe(item["text"]), safe(item["display"]), safe(item["comment"])])
    agenda.set_column(1, 1, 60)
    book.close()
    return buffer.getvalue()
