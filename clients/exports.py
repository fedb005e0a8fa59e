"""The client register's spreadsheets (the client list, the KPI tables), written by crm_portal.spreadsheets."""

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm_portal.spreadsheets import Column, Kind, Sheet

KPI_HEADER = [
    ("potential", gettext_lazy("Clients at first acquisition")),
    ("first_contact", gettext_lazy("First contacts in the period")),
    ("first_sale_n", gettext_lazy("First sales")),
    ("first_sale_sum", gettext_lazy("First sales, sum")),
    ("conversion", gettext_lazy("Conversion first contact to purchase, %")),
    ("repeat_n", gettext_lazy("Repeat sales")),
    ("repeat_sum", gettext_lazy("Repeat sales, sum")),
    ("new_line_n", gettext_lazy("First sales in new lines")),
    ("new_line_sum", gettext_lazy("New lines, sum")),
    ("products_per_client", gettext_lazy("Products per client")),
    ("lost", gettext_lazy("Lost clients")),
    ("restored", gettext_lazy("Restored clients")),
    ("contacts", gettext_lazy("Contacts")),
    ("complaints", gettext_lazy("Complaints")),
]

# What each KPI column counts, shown as a tooltip on the page (the export keeps the short labels).
KPI_HELP = {
    "potential": gettext_lazy("Clients with no purchase at all at the end of the period."),
    "first_contact": gettext_lazy(
        "Prospects: clients whose first logged contact falls in the period and who had bought nothing before it."
    ),
    "first_sale_n": gettext_lazy(
        "Clients whose very first purchase falls in the period, with or without a logged contact before it."
    ),
    "first_sale_sum": gettext_lazy("The amount of those first purchases."),
    "conversion": gettext_lazy(
        "Share of the first contacts of the period who made their first purchase after that "
        "contact, by the end of the period."
    ),
    "repeat_n": gettext_lazy("Purchases of a product the client had already bought before."),
    "repeat_sum": gettext_lazy("The amount of the repeat sales."),
    "new_line_n": gettext_lazy("First purchases of another product by a client who had bought before."),
    "new_line_sum": gettext_lazy("The amount of the first sales in new lines."),
    "products_per_client": gettext_lazy(
        "Product lines a buying client of the period has bought so far (up to the period's end), on average."
    ),
    "lost": gettext_lazy("Clients who became lost during the period (no purchase within the lifecycle period)."),
    "restored": gettext_lazy("Clients who bought in the period after a pause that had made them lost."),
    "contacts": gettext_lazy("Contacts logged in the period."),
    "complaints": gettext_lazy("Complaints registered in the period."),
}


# The kind of each KPI column: counts, sums of money, one share (conversion) and one ratio.
KPI_KINDS = {
    "potential": Kind.INTEGER,
    "first_contact": Kind.INTEGER,
    "first_sale_n": Kind.INTEGER,
    "first_sale_sum": Kind.MONEY,
    "conversion": Kind.SHARE,
    "repeat_n": Kind.INTEGER,
    "repeat_sum": Kind.MONEY,
    "new_line_n": Kind.INTEGER,
    "new_line_sum": Kind.MONEY,
    "products_per_client": Kind.NUMBER,
    "lost": Kind.INTEGER,
    "restored": Kind.INTEGER,
    "contacts": Kind.INTEGER,
    "complaints": Kind.INTEGER,
}


def _kpi_values(row: dict) -> list:
    # The tables hold conversion in percent (the page shows "33.3"); the sheet holds the fraction
    # under a percent format.
    conversion = row.get("conversion")
    return [
        (None if conversion is None else conversion / 100) if key == "conversion" else row.get(key)
        for key, _label in KPI_HEADER
    ]


def kpi_sheets(data: dict, products: list[dict]) -> list[Sheet]:
    """The KPI tables (per manager with a total row, per client, complaints by kind and manager) as
    spreadsheet sheets."""
    kpi_columns = [Column(str(label), KPI_KINDS[key]) for key, label in KPI_HEADER]
    managers = [[m["manager"], m["clients"], *_kpi_values(m)] for m in data["managers"]]
    managers.append([_("Total"), data["grand"]["clients"], *_kpi_values(data["grand"])])
    client_columns = [
        "first_sale_sum",
        "repeat_n",
        "repeat_sum",
        "new_line_n",
        "new_line_sum",
        "products",
        "lost",
        "restored",
        "contacts",
        "complaints",
    ]
    clients = (
        [c["name"], c["manager"], c["klass"], c["class_changes"], *[c[k] for k in client_columns]]
        for c in data["clients"]
    )
    return [
        Sheet(
            _("Managers"), [Column(_("Manager"), Kind.TEXT), Column(_("Clients"), Kind.INTEGER), *kpi_columns], managers
        ),
        Sheet(
            _("Clients"),
            [
                Column(_("Client"), Kind.TEXT),
                Column(_("Manager"), Kind.TEXT),
                Column(_("Class"), Kind.TEXT),
                Column(_("Class changes"), Kind.INTEGER),
                Column(_("First sales, sum"), Kind.MONEY),
                Column(_("Repeat sales"), Kind.INTEGER),
                Column(_("Repeat sales, sum"), Kind.MONEY),
                Column(_("First sales in new lines"), Kind.INTEGER),
                Column(_("New lines, sum"), Kind.MONEY),
                Column(_("Products"), Kind.INTEGER),
                Column(_("Lost"), Kind.INTEGER),
                Column(_("Restored"), Kind.INTEGER),
                Column(_("Contacts"), Kind.INTEGER),
                Column(_("Complaints"), Kind.INTEGER),
            ],
            clients,
        ),
        _complaint_kinds_sheet(data["complaint_kinds"]),
        Sheet(
            _("Sales per product"),
            [
                Column(_("Product"), Kind.TEXT),
                Column(_("Sales"), Kind.MONEY),
                Column(_("Settlements"), Kind.INTEGER),
                Column(_("Clients"), Kind.INTEGER),
            ],
            [[p["name"] or _("No product"), p["sum"], p["settlements"], p["clients"]] for p in products],
        ),
        _channels_sheet(data["channels"]),
    ]


def _channels_sheet(table: dict) -> Sheet:
    rows = [[c["label"], c["spent"], c["new"], c["cost_per_new"], c["revenue"], c["buyers"]] for c in table["rows"]]
    rows.append([_("Total"), table["spent"], table["new"], table["cost_per_new"], table["revenue"], None])
    return Sheet(
        _("Marketing efficiency"),
        [
            Column(_("Acquisition channel"), Kind.TEXT),
            Column(_("Spent"), Kind.MONEY),
            Column(_("New clients"), Kind.INTEGER),
            Column(_("Cost per new client"), Kind.MONEY),
            Column(_("Revenue"), Kind.MONEY),
            Column(_("Buying clients"), Kind.INTEGER),
        ],
        rows,
    )


def _complaint_kinds_sheet(table: dict) -> Sheet:
    kinds = table["kinds"]
    rows = [[m["manager"], *m["counts"], m["total"]] for m in table["managers"]]
    rows.append([_("Total"), *[n for _value, _name, n in kinds], table["total"]])
    return Sheet(
        _("Complaints by kind"),
        [
            Column(_("Manager"), Kind.TEXT),
            *[Column(name, Kind.INTEGER) for _value, name, _n in kinds],
            Column(_("Total"), Kind.INTEGER),
        ],
        rows,
    )


def client_list_sheet(clients: Iterable, states: dict) -> Sheet:
    """The client list as filtered on the page (clients with `state_shown` and `has_overdue` attached)."""
    rows = (
        (
            c.name,
            c.get_kind_display(),
            c.external_id,
            c.tax_number,
            c.manager.username if c.manager else "",
            c.segment.name if c.segment else "",
            c.abc_class,
            c.xyz_class,
            states.get(c.state_shown, ""),
            _("yes") if c.has_overdue else "",
        )
        for c in clients
    )
    headers = [
        _("Name"),
        _("Kind"),
        _("External id"),
        _("Tax number"),
        _("Manager"),
        _("Segment"),
        "ABC",
        "XYZ",
        _("State"),
        _("Overdue points"),
    ]
    return Sheet(_("Clients"), [Column(header, Kind.TEXT) for header in headers], rows)


# The dashboard's figures: the KPI columns and the two it adds.
FIGURE_LABELS = dict(KPI_HEADER) | {
    "sales_sum": gettext_lazy("Revenue"),
    "buyers": gettext_lazy("Buying clients"),
}
FIGURE_KINDS = KPI_KINDS | {"sales_sum": Kind.MONEY, "buyers": Kind.INTEGER}


def dashboard_sheets(board: dict) -> list[Sheet]:
    """The dashboard's tables: the figures against the period before and a year earlier, the
    managers side by side (with their plans when compared), revenue and buying clients by month."""

    def share(value: float | None) -> float | None:
        return None if value is None else value / 100

    figures = [
        [str(FIGURE_LABELS[f.key]), f.value, f.previous, share(f.change_previous), f.year_ago, share(f.change_year)]
        for f in board["figures"]
    ]
    keys = [f.key for f in board["figures"]]
    plans = board["plan"]["compared"]
    manager_columns = [Column(_("Manager"), Kind.TEXT), Column(_("Clients"), Kind.INTEGER)]
    manager_columns += [Column(str(FIGURE_LABELS[k]), FIGURE_KINDS[k]) for k in keys]
    manager_columns.append(Column(_("Overdue points"), Kind.INTEGER))
    if plans:
        manager_columns += [Column(_("Revenue plan"), Kind.MONEY), Column(_("Plan fulfilled"), Kind.SHARE)]
    managers = []
    total = {"manager": _("Total"), **board["grand"], **_plan_total(board["plan"]), "overdue": board["overdue_total"]}
    for row in [*board["managers"], total]:
        values = [row["manager"], row["clients"], *[row[k] for k in keys], row["overdue"]]
        managers.append(values + ([row["plan"], share(row["fulfilment"])] if plans else []))
    return [
        Sheet(
            _("Figures"),
            [
                Column(_("Figure"), Kind.TEXT),
                Column(_("Value"), Kind.NUMBER),
                Column(_("Period before"), Kind.NUMBER),
                Column(_("Change against it"), Kind.SHARE),
                Column(_("A year earlier"), Kind.NUMBER),
                Column(_("Change over the year"), Kind.SHARE),
            ],
            figures,
        ),
        Sheet(_("Managers"), manager_columns, managers),
        Sheet(
            _("Funnel"),
            [
                Column(_("Stage"), Kind.TEXT),
                Column(_("Reached"), Kind.INTEGER),
                Column(_("Refused here"), Kind.INTEGER),
                Column(_("Went on"), Kind.INTEGER),
                Column(_("Conversion"), Kind.SHARE),
                Column(_("Median days"), Kind.NUMBER),
            ],
            [
                [str(r["label"]), r["reached"], r["refused"], r["next"], share(r["conversion"]), r["median_days"]]
                for r in board["funnel"]
            ],
        ),
        Sheet(
            _("Months"),
            [
                Column(_("Month"), Kind.DATE),
                Column(_("Revenue"), Kind.MONEY),
                Column(_("Buying clients"), Kind.INTEGER),
            ],
            [[m["month"], m["revenue"], m["buyers"]] for m in board["months"]],
        ),
    ]


def _plan_total(plan: dict) -> dict:
    return {"plan": plan["plan"] or None, "fulfilment": plan["fulfilment"]}
