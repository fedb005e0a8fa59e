"""An organization's ABC/XYZ settings, and the checked parameters of a run."""

import json
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm_portal.models import Organization

from ..models import SegmentationSettings
from ..pipeline import Params


@transaction.atomic
def segmentation_settings_update(
    *, organization: Organization, a: float, b: float, x: float, y: float, min_history: int, period: str, measure: str
) -> SegmentationSettings:
    current = SegmentationSettings.objects.filter(organization=organization).first() or SegmentationSettings(
        organization=organization
    )
    for field, value in {
        "a": a,
        "b": b,
        "x": x,
        "y": y,
        "min_history": min_history,
        "period": period,
        "measure": measure,
    }.items():
        setattr(current, field, value)
    current.full_clean()
    current.save()
    return current


def _params(values: dict) -> Params:
    params = Params(
        a=float(values["a"]),
        b=float(values["b"]),
        x=float(values["x"]),
        y=float(values["y"]),
        min_history=int(values["min_history"]),
        period=values.get("period", "month"),
        measure=values.get("measure", "turnover"),
        start=values.get("start") or "",
        end=values.get("end") or "",
    )
    for month in (params.start, params.end):
        if month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise ValidationError(_("Write the window's months as 2025-01."))
    if not 0 < params.a < params.b <= 1:
        raise ValidationError(_("The thresholds must satisfy 0 < A < B <= 1."))
    if not 0 <= params.x < params.y:
        raise ValidationError(_("The thresholds must satisfy 0 <= X < Y."))
    if params.min_history < 1:
        raise ValidationError(_("The minimum history is at least one period."))
    if params.period not in ("month", "quarter"):
        raise ValidationError(_("The period is a month or a quarter."))
    if params.measure not in ("turnover", "margin"):
        raise ValidationError(_("ABC is by turnover or by margin."))
    return params


def _settings_key(params: dict) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))
