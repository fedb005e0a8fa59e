"""Every write of the client register. Each raises ValidationError with a readable message."""

from .care import (  # noqa: F401
    care_points_create,
)
from .catalogue import (  # noqa: F401
    complaint_kind_create,
    matrix_save,
    offer_set,
    product_create,
    refusal_reason_create,
    segment_create,
)
from .common import (  # noqa: F401
    BATCH,
)
from .complaints import (  # noqa: F401
    COMPLAINT_FLOW,
    SURVEY_AFTER_EVENT_DAYS,
    assessment_create,
    complaint_advance,
    complaint_register,
)
from .deals import (  # noqa: F401
    PAYING_STAGES,
    STAGE_DATES,
    STAGE_POINTS,
    deal_advance,
    deal_case_open,
    deal_create,
    deal_deviation,
    deal_document_add,
    deal_payment_record,
    deal_refuse,
)
from .digest import (  # noqa: F401
    DIGEST_ROLES,
    digest_subscribe,
    digest_weekly,
)
from .kpi_cube import (  # noqa: F401
    cube_rebuild,
    kpi_cube_sync,
)
from .kpis import (  # noqa: F401
    kpi_export_start,
)
from .lifecycle import (  # noqa: F401
    client_histories_rebuild,
    lifecycle_daily,
    lifecycle_recompute,
    lifecycle_recompute_start,
)
from .marketing import (  # noqa: F401
    marketing_spend_set,
)
from .plans import (  # noqa: F401
    revenue_plan_set,
)
from .register import (  # noqa: F401
    ABC_VALUES,
    CLIENT_FIELDS,
    XYZ_VALUES,
    client_classes_record,
    client_create,
    client_update,
    clients_assign,
    contact_create,
    contact_person_create,
    control_point_add,
    control_point_assign,
    control_point_create,
    control_point_done,
    control_points_overdue_notify,
)
from .settlements import (  # noqa: F401
    MATCH_FIELDS,
    MAX_ROW_PROBLEMS,
    ON_MISSING,
    settlement_create,
    settlement_date_bounds,
    settlement_delete,
    settlement_row_message,
    settlements_import,
)
