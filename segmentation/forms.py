from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from .models import Measure, Period, SegmentationSettings
from .parsing import DROP, KEEP, LONG, WIDE


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Excel (.xlsx) or .csv file"),
        help_text=_("A row per client with a column per month, or a row per settlement: client, date, amount, product."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {"size": number_format(upload.size / 1048576, 1, force_grouping=True),
                   "limit": number_format(settings.UPLOAD_MAX_BYTES / 1048576, 1, force_grouping=True)}
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
    start = forms.RegexField(label=_("Window from (month)"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False,
                             help_text=_("2025-01; empty: the file's first month."),
                             error_messages={"invalid": _("Write the month as 2025-01.")})
    end = forms.RegexField(label=_("Window to (month)"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False,
                           help_text=_("Empty: the file's last month."),
                           error_messages={"invalid": _("Write the month as 2025-01.")})

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
        return cls(initial=current.params() | {"measure": Measure.TURNOVER, "as_of": timezone.localdate(), "months": 12}, **kwargs)


class SettingsForm(forms.ModelForm):
    class Meta:
        model = SegmentationSettings
        fields = ["a", "b", "x", "y", "min_history", "period", "measure"]


class MappingForm(forms.Form):
    sheet = forms.ChoiceField(label=_("Sheet"))
    shape = forms.ChoiceField(label=_("Shape"), choices=[(WIDE, _("Wide: a row per client, a column per month")),
                                                         (LONG, _("Long: a row per settlement"))])
    client = forms.TypedChoiceField(label=_("Client column"), coerce=int)
    date = forms.TypedChoiceField(label=_("Date column (long)"), coerce=int, required=False, empty_value=None)
    amount = forms.TypedChoiceField(label=_("Amount column (long)"), coerce=int, required=False, empty_value=None)
    margin = forms.TypedChoiceField(label=_("Margin column (long, optional)"), coerce=int, required=False, empty_value=None)
    product = forms.TypedChoiceField(label=_("Product column (long, optional)"), coerce=int, required=False, empty_value=None)
    months = forms.TypedMultipleChoiceField(label=_("Month columns (wide)"), coerce=int, required=False,
                                            widget=forms.SelectMultiple(attrs={"size": 6}))
    duplicates = forms.ChoiceField(
        label=_("Rows that repeat an earlier row exactly (long)"), initial=KEEP, required=False,
        choices=[(KEEP, _("Keep them: they are repeated purchases")), (DROP, _("Drop them: they were entered twice"))],
    )

    def __init__(self, *args, columns: list[tuple[int, str]], sheets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [(s, s) for s in sheets]
        choices = [(i, label) for i, label in columns]
        self.fields["client"].choices = choices
        self.fields["months"].choices = choices
        for name in ("date", "amount", "margin", "product"):
            self.fields[name].choices = [("", "—"), *choices]

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
    match_by = forms.ChoiceField(label=_("Match clients by"), choices=[
        ("external_id", _("External id")), ("tax_number", _("Tax number")), ("name", _("Exact name"))])
    on_missing = forms.ChoiceField(label=_("Clients not in the register"), choices=[
        ("create", _("Create them")), ("skip", _("Skip their rows")), ("update", _("Create them and update names"))])


