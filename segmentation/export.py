"""The spreadsheets segmentation hands out (a run's classes, a file's rejected rows), written by crm_portal.spreadsheets."""

import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from crm_portal.spreadsheets import Column, Kind, Sheet

# The `abcxyz` command's columns: code names (an interface for scripts), whatever the language.
RESULT_KINDS = {
    "client": Kind.TEXT,
    "total": Kind.MONEY,
    "share": Kind.SHARE,
    "cum_share": Kind.SHARE,
    "abc": Kind.TEXT,
    "cv": Kind.SHARE,
    "xyz": Kind.TEXT,
}


def result_sheet(frame: pd.DataFrame) -> Sheet:
    """A classification as the command writes it (columns named as in RESULT_KINDS)."""
    return Sheet.of_frame("ABC-XYZ", frame, RESULT_KINDS)


def run_sheet(run) -> Sheet:
    """A stored run's classes by rank, with headers for people in the reader's language."""
    columns = [
        Column(pgettext("export column", "Rank"), Kind.INTEGER),
        Column(pgettext("export column", "Client"), Kind.TEXT),
        Column(pgettext("export column", "Total"), Kind.MONEY),
        Column(pgettext("export column", "Share"), Kind.SHARE),
        Column(pgettext("export column", "Cumulative share"), Kind.SHARE),
        Column("ABC", Kind.TEXT),
        Column("CV", Kind.SHARE),
        Column("XYZ", Kind.TEXT),
    ]
    fields = ["rank", "client_key", "total", "share", "cum_share", "abc", "cv", "xyz"]
    if run.source == run.Source.BASE:
        fields = [
            "rank",
            "client__name",
            "total",
            "share",
            "cum_share",
            "abc",
            "cv",
            "xyz",
            "client_id",
            "client__external_id",
        ]
        columns += [
            Column(pgettext("export column", "Client id"), Kind.IDENTIFIER),
            Column(pgettext("export column", "External id"), Kind.TEXT),
        ]
    frame = pd.DataFrame(list(run.classes.order_by("rank").values_list(*fields)), columns=fields)
    return Sheet("ABC-XYZ", columns, frame)


def rejected_sheet(frame: pd.DataFrame | None = None) -> Sheet:
    """The rejected rows of a file: the row number, the file's own cells as they were, the reasons."""
    if frame is None:
        frame = pd.DataFrame({_("Row"): [], _("Reason"): []})
    names = [str(name) for name in frame.columns]
    columns = [Column(names[0], Kind.IDENTIFIER), *(Column(name) for name in names[1:-1]), Column(names[-1], Kind.TEXT)]
    return Sheet(_("Rejected rows"), columns, frame)
