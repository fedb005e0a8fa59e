"""Every chart goes through Portal.plot (static/js/portal.js), which escapes the markup Plotly
would otherwise draw from a label (a touchpoint named <a href=...> became a live link)."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _chart_scripts() -> list[Path]:
    return [
        path for path in [*ROOT.glob("static/**/*.js"), *ROOT.glob("*/static/**/*.js")] if "plotly" not in path.parts
    ]


def test_no_script_draws_a_chart_around_the_escaping_helper():
    scripts = _chart_scripts()
    direct = [
        str(path.relative_to(ROOT))
        for path in scripts
        if re.search(r"Plotly\.(newPlot|react|restyle|relayout|update|addTraces)\(", path.read_text())
    ]
    assert direct == ["static/js/portal.js"]
    users = sorted(str(path.relative_to(ROOT)) for path in scripts if "Portal.plot(" in path.read_text())
    assert users == [
        "clients/static/clients/dashboard.js",
        "diagnostics/static/diagnostics/charts.js",
        "loyalty/static/loyalty/charts.js",
        "segmentation/static/segmentation/charts.js",
        "static/js/portal.js",
    ]
