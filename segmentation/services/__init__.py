"""Every write of segmentation: datasets, their checks and imports, runs and their stored classes."""

from .datasets import (  # noqa: F401
    PREVIEW_CHARS,
    PREVIEW_COLUMNS,
    PREVIEW_PROBLEM_COLUMNS,
    PREVIEW_PROBLEM_ROWS,
    PREVIEW_ROWS,
    STORED_PROBLEMS,
    dataset_create,
    dataset_inspect,
    dataset_mapping_set,
    dataset_mark_unreadable,
)
from .imports import (  # noqa: F401
    dataset_import,
    dataset_import_result,
    dataset_import_start,
    settlement_rows,
)
from .runs import (  # noqa: F401
    base_wide,
    run_base_start,
    run_file_start,
    run_on_base,
    run_on_file,
    run_result,
)
from .settings import (  # noqa: F401
    segmentation_settings_update,
)
from .storage import (  # noqa: F401
    run_store,
)
