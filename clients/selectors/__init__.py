"""Reads of the client register: what a user may see, lists, the card, the day, deals, KPIs."""

from .card import (  # noqa: F401
    AUDIT_ACTIONS,
    AUDIT_DATES,
    AUDIT_FIELDS,
    AUDIT_ORDER,
    DEVELOPMENT_LABELS,
    TIMELINE_LIMIT,
    audit_rows,
    client_card,
    maturity,
    monthly_totals,
    offer_rows,
    target_grid,
    target_products,
    timeline,
)
from .dashboard import (  # noqa: F401
    FIGURES,
    Figure,
    comparison_periods,
    dashboard,
    digest_subscribed,
    preset_period,
)
from .deals import (  # noqa: F401
    DealFilter,
    DealMoney,
    board_deals,
    days_in_stage,
    deal_money,
    deal_page,
    deals_by_stage,
    funnel,
    refusals_by_stage,
)
from .history import (  # noqa: F401
    client_states_on,
    in_effect,
    state_conditions,
    states_on,
)
from .kpi_totals import (  # noqa: F401
    kpi_totals,
    kpi_totals_cached,
)
from .kpis import (  # noqa: F401
    KPI_CACHE_SECONDS,
    KPI_SQL,
    KPI_SUMS,
    kpi_data_version,
    kpi_tables,
    kpi_tables_cached,
    product_sales_cached,
    product_sales_table,
)
from .lists import (  # noqa: F401
    DAY_GROUPS,
    GIVEN,
    NO_KIND,
    PERIOD_EVENTS,
    SORTS,
    ClientFilter,
    attach_states,
    attach_work,
    client_list,
    complaint_counts,
    complaint_list,
    home_panel,
    my_day,
    overdue_points,
    upcoming_birthdays,
)
from .visibility import (  # noqa: F401
    EDITOR_ROLES,
    can_edit,
    clients_visible_to,
    organization_managers,
    visible_rows,
)
