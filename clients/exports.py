"""Spreadsheet downloads: numbers stay numbers, text that a spreadsheet would run is neutralised."""

import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

import xlsxwriter
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FORMULA_STARTS = ("=", "+", "-", "@")


def safe_cell(value):
    """A value ready for a cell: text starting like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def xlsx_response(filename: str, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]]) -> HttpResponse:
    response = HttpResponse(
        xlsx_bytes(sheets), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    for title, header, rows in sheets:
        sheet = book.add_worksheet(title[:31])
        sheet.write_row(0, 0, [str(h) for h in header], bold)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, [safe_cell(v) for v in row])
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


KPI_HEADER = [
    ("potential", gettext_lazy("Clients at first acquisition")),
    ("first_contact", gettext_lazy("First contacts in the period")), ("first_sale_n", gettext_lazy("First sales")),
    ("first_sale_sum", gettext_lazy("First sales, sum")), ("conversion", gettext_lazy("Conversion first contact to purchase, %")),
    ("repeat_n", gettext_lazy("Repeat sales")), ("repeat_sum", gettext_lazy("Repeat sales, sum")),
    ("new_line_n", gettext_lazy("First sales in new lines")), ("new_line_sum", gettext_lazy("New lines, sum")),
    ("products_per_client", gettext_lazy("Products per client")), ("lost", gettext_lazy("Lost clients")),
    ("restored", gettext_lazy("Restored clients")), ("contacts", gettext_lazy("Contacts")), ("complaints", gettext_lazy("Complaints")),
]

# What each KPI column counts, shown as a tooltip on the page (the export keeps the short labels).
KPI_HELP = {
    "potential": gettext_lazy("Clients with no purchase at all at the end of the period."),
    "first_contact": gettext_lazy("Prospects: clients whose first logged contact falls in the period and who had "
                                  "bought nothing before it."),
    "first_sale_n": gettext_lazy("Clients whose very first purchase falls in the period, with or without a logged "
                                 "contact before it."),
    "first_sale_sum": gettext_lazy("The amount of those first purchases."),
    "conversion": gettext_lazy("Share of the first contacts of the period who made their first purchase after that "
                               "contact, by the end of the period."),
    "repeat_n": gettext_lazy("Purchases of a product the client had already bought before."),
    "repeat_sum": gettext_lazy("The amount of the repeat sales."),
    "new_line_n": gettext_lazy("First purchases of another product by a client who had bought before."),
    "new_line_sum": gettext_lazy("The amount of the first sales in new lines."),
    "products_per_client": gettext_lazy("Different products bought in the period per buying client."),
    "lost": gettext_lazy("Clients who became lost during the period (no purchase within the lifecycle period)."),
    "restored": gettext_lazy("Clients who bought in the period after a pause that had made them lost."),
    "contacts": gettext_lazy("Contacts logged in the period."),
    "complaints": gettext_lazy("Complaints registered in the period."),
}


def _num(value):
    if value is None or value != value:  # NaN
        return ""
    return round(float(value), 2)


def kpi_sheets(data: dict) -> list:
    """The two KPI tables (per manager with a total row, per client) as spreadsheet sheets."""
    labels = [str(label) for _key, label in KPI_HEADER]
    managers = [[m["manager"], m["clients"], *[_num(m.get(k)) for k, _l in KPI_HEADER]] for m in data["managers"]]
    managers.append([_("Total"), data["grand"]["clients"], *[_num(data["grand"].get(k)) for k, _l in KPI_HEADER]])
    client_columns = ["first_sale_sum", "repeat_n", "repeat_sum", "new_line_n", "new_line_sum", "products", "lost",
                      "restored", "contacts", "complaints"]
    clients = ([c["name"], c["manager"], c["klass"], c["class_changes"], *[_num(c[k]) for k in client_columns]]
               for c in data["clients"])
    return [
        (_("Managers"), [_("Manager"), _("Clients"), *labels], managers),
        (_("Clients"), [_("Client"), _("Manager"), _("Class"), _("Class changes"), _("First sales, sum"),
                        _("Repeat sales"), _("Repeat sales, sum"), _("First sales in new lines"), _("New lines, sum"),
                        _("Products"), _("Lost"), _("Restored"), _("Contacts"), _("Complaints")], clients),
    ]
