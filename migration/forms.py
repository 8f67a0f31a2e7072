from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD = 200 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".csv,.txt,.xlsx"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [
            super(MultipleFileField, self).clean(f, initial) for f in files if f
        ] or super().clean(None)


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Extract files"),
        help_text=_(
            "The federation's extract: one Excel file (sheets Medlemmer, Parti, Venteliste), "
            "or members.csv with groups.csv and waitlist.csv."
        ),
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > 3:
            raise ValidationError(_("Choose at most three files."))
        if sum(f.size for f in files) > MAX_UPLOAD:
            raise ValidationError(_("The files are larger than 200 MB together."))
        return files

    def sources(self) -> list[tuple[str, bytes]]:
        return [(f.name, f.read()) for f in self.cleaned_data["files"]]
