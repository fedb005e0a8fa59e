import re

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm_portal.spreadsheets import column_letter

from .models import Measure, Period, SegmentationSettings
from .parsing import DROP, KEEP, LONG, WIDE
from .reading import column_index

# Up to this many columns the mapping form lists them (letter and header) in its selects. A wider sheet
# (Excel allows 16,384 columns) takes column letters instead: six lists of 16,384 options made a page
# of megabytes that nobody could scroll through. 200 columns: 16 years of months, lists of ~10 KB each.
LISTED_COLUMNS = 200


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Excel (.xlsx) or .csv file"),
        help_text=_(
            "A row per client with a column per month, or a row per settlement: client, date, amount, product."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {
                    "size": number_format(upload.size / 1048576, 1, force_grouping=True),
                    "limit": number_format(settings.UPLOAD_MAX_BYTES / 1048576, 1, force_grouping=True),
                }
            )
        return upload


class ParamsForm(forms.Form):
    a = forms.FloatField(label=_("A up to (share)"), min_value=0.01, max_value=0.99)
    b = forms.FloatField(label=_("B up to (share)"), min_value=0.02, max_value=1.0)
    x = forms.FloatField(label=_("X up to (CV)"), min_value=0.0, max_value=10.0)
    y = forms.FloatField(label=_("Y up to (CV)"), min_value=0.0, max_value=10.0)
    min_history = forms.IntegerField(label=_("Minimum history, periods"), min_value=1, max_value=60)
    period = forms.ChoiceField(label=_("Period"), choices=Period.choices)
    measure = forms.ChoiceField(label=_("ABC by"), choices=Measure.choices)

    def clean(self):
        data = super().clean()
        if data.get("a") is not None and data.get("b") is not None and not data["a"] < data["b"]:
            self.add_error("b", _("The B threshold must be above the A threshold."))
        if data.get("x") is not None and data.get("y") is not None and not data["x"] < data["y"]:
            self.add_error("y", _("The Y threshold must be above the X threshold."))
        return data

    @classmethod
    def initial_from(cls, current: SegmentationSettings, **kwargs):
        return cls(initial=current.params() | {"measure": current.measure}, **kwargs)


class FileParamsForm(ParamsForm):
    start = forms.RegexField(
        label=_("Window from (month)"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        help_text=_("2025-01; empty: the file's first month."),
        error_messages={"invalid": _("Write the month as 2025-01.")},
    )
    end = forms.RegexField(
        label=_("Window to (month)"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        help_text=_("Empty: the file's last month."),
        error_messages={"invalid": _("Write the month as 2025-01.")},
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The window's first month comes after its last month."))
        return data


class BaseRunForm(ParamsForm):
    # A date input takes only ISO dates: the localised "24.11.2026" would leave it blank in Russian.
    as_of = forms.DateField(label=_("As of"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    months = forms.IntegerField(label=_("Window, months"), min_value=1, max_value=120, initial=12)

    @classmethod
    def initial_from(cls, current: SegmentationSettings, **kwargs):
        return cls(
            initial=current.params() | {"measure": Measure.TURNOVER, "as_of": timezone.localdate(), "months": 12},
            **kwargs,
        )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = SegmentationSettings
        fields = ["a", "b", "x", "y", "min_history", "period", "measure"]


def column_ranges(positions: list[int]) -> list[tuple[int, int]]:
    """Positions as runs of consecutive columns: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    ranges: list[tuple[int, int]] = []
    for position in sorted(set(positions)):
        if ranges and position == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], position)
        else:
            ranges.append((position, position))
    return ranges


class ColumnLetterField(forms.CharField):
    """A column of a wide sheet written as its letter (A ... XFD); cleaned to its position."""

    def __init__(self, *, width: int, **kwargs):
        self.width = width
        kwargs.setdefault(
            "help_text", _("The column's letter, A to %(last)s.") % {"last": column_letter(max(width - 1, 0))}
        )
        super().__init__(
            widget=forms.TextInput(attrs={"size": 8, "autocomplete": "off", "spellcheck": "false"}), **kwargs
        )

    def prepare_value(self, value):
        return column_letter(value) if isinstance(value, int) else value

    def position(self, letters: str) -> int:
        if not re.fullmatch(r"[A-Z]{1,3}", letters) or column_index(letters) >= self.width:
            raise forms.ValidationError(
                _("Write a column letter from A to %(last)s."),
                code="invalid",
                params={"last": column_letter(max(self.width - 1, 0))},
            )
        return column_index(letters)

    def to_python(self, value):
        letters = super().to_python(value).strip().upper()
        return self.position(letters) if letters else None


class ColumnRangesField(ColumnLetterField):
    """Columns of a wide sheet written as letters and ranges ("B:M, P"); cleaned to their sorted positions."""

    def __init__(self, *, width: int, **kwargs):
        kwargs.setdefault("help_text", _("Letters and ranges, such as B:M, P."))
        super().__init__(width=width, **kwargs)
        self.widget.attrs["size"] = 24

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(
                column_letter(a) if a == b else f"{column_letter(a)}:{column_letter(b)}"
                for a, b in column_ranges(value)
            )
        return value

    def to_python(self, value):
        text = re.sub(r"\s*[:\-–—]\s*", ":", forms.CharField.to_python(self, value).strip().upper())
        positions: set[int] = set()
        for part in filter(None, re.split(r"[,;\s]+", text)):
            first, _colon, last = part.partition(":")
            start, end = self.position(first), self.position(last or first)
            if start > end:
                raise forms.ValidationError(
                    _("The range %(range)s runs backwards: write it as %(fixed)s."),
                    code="invalid",
                    params={"range": part, "fixed": f"{last}:{first}"},
                )
            positions.update(range(start, end + 1))
        return sorted(positions)


def months_summary(months: list[int]) -> str:
    """Month columns as a person reads them: "B–XFD (16,383 months)"."""
    ranges = ", ".join(
        column_letter(a) if a == b else f"{column_letter(a)}–{column_letter(b)}" for a, b in column_ranges(months)
    )
    return ngettext("%(ranges)s (%(count)s month)", "%(ranges)s (%(count)s months)", len(months)) % {
        "ranges": ranges,
        "count": number_format(len(months), 0, force_grouping=True),
    }


class MappingForm(forms.Form):
    sheet = forms.ChoiceField(label=_("Sheet"))
    shape = forms.ChoiceField(
        label=_("Shape"),
        choices=[(WIDE, _("Wide: a row per client, a column per month")), (LONG, _("Long: a row per settlement"))],
    )
    client = forms.TypedChoiceField(label=_("Client column"), coerce=int)
    date = forms.TypedChoiceField(label=_("Date column (long)"), coerce=int, required=False, empty_value=None)
    amount = forms.TypedChoiceField(label=_("Amount column (long)"), coerce=int, required=False, empty_value=None)
    margin = forms.TypedChoiceField(
        label=_("Margin column (long, optional)"), coerce=int, required=False, empty_value=None
    )
    product = forms.TypedChoiceField(
        label=_("Product column (long, optional)"), coerce=int, required=False, empty_value=None
    )
    months = forms.TypedMultipleChoiceField(
        label=_("Month columns (wide)"), coerce=int, required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    duplicates = forms.ChoiceField(
        label=_("Rows that repeat an earlier row exactly (long)"),
        initial=KEEP,
        required=False,
        choices=[(KEEP, _("Keep them: they are repeated purchases")), (DROP, _("Drop them: they were entered twice"))],
    )

    def __init__(self, *args, header: list[str], sheets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [(s, s) for s in sheets]
        if len(header) > LISTED_COLUMNS:
            self._take_letters(len(header))
            return
        choices = [(i, f"{column_letter(i)}: {h}" if h else column_letter(i)) for i, h in enumerate(header)]
        self.fields["client"].choices = choices
        self.fields["months"].choices = choices
        for name in ("date", "amount", "margin", "product"):
            self.fields[name].choices = [("", "—"), *choices]

    def _take_letters(self, width: int) -> None:
        """The columns of a sheet too wide to list, as letters; the months as ranges, with what is chosen now."""
        for name in ("client", "date", "amount", "margin", "product"):
            old = self.fields[name]
            # The range of letters is said once, under the first of these fields.
            extra = {} if name == "client" else {"help_text": ""}
            self.fields[name] = ColumnLetterField(width=width, label=old.label, required=old.required, **extra)
        old = self.fields["months"]
        self.fields["months"] = ColumnRangesField(width=width, label=old.label, required=False)
        months = self.initial.get("months") or []
        if months:
            self.fields["months"].help_text = _("Letters and ranges, such as B:M, P. Chosen now: %(months)s.") % {
                "months": months_summary(months)
            }

    def clean(self):
        data = super().clean()
        if data.get("shape") == LONG:
            for name in ("date", "amount"):
                if data.get(name) is None:
                    self.add_error(name, _("A long table needs this column."))
        elif data.get("shape") == WIDE and not data.get("months"):
            self.add_error("months", _("A wide table needs at least one month column."))
        return data


class ImportForm(forms.Form):
    match_by = forms.ChoiceField(
        label=_("Match clients by"),
        choices=[("external_id", _("External id")), ("tax_number", _("Tax number")), ("name", _("Exact name"))],
    )
    on_missing = forms.ChoiceField(
        label=_("Clients not in the register"),
        choices=[
            ("create", _("Create them")),
            ("skip", _("Skip their rows")),
            ("update", _("Create them and update names")),
        ],
    )
