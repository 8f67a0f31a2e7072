"""Whom a person registers (R-REG-5, R-REG-6) and the child they type in."""

from django import forms
from django.utils.translation import gettext_lazy

from invitations.forms.wizard import NO, YES, IdentityForm
from invitations.services.who import CHILD, NEW_CHILD, SELF


class WhoForm(forms.Form):
    """Myself, one of my children in the register, or another child."""

    who = forms.ChoiceField(
        label=gettext_lazy("Who will become a member?"),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose who will become a member.")},
    )

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(SELF, gettext_lazy("Myself"))]
        for child in children:
            born = child.birth_date.strftime("%d.%m.%Y") if child.birth_date else ""
            label = f"{child.full_name} ({born})" if born else child.full_name
            choices.append((f"{CHILD}:{child.pk}", label))
        if children:
            choices.append((NEW_CHILD, gettext_lazy("My child (not listed here)")))
        else:
            choices.append((NEW_CHILD, gettext_lazy("My child")))
        self.fields["who"].choices = choices

    def chosen(self) -> tuple[str, int | None]:
        """(kind, person id of a child in the register or None)."""
        value = self.cleaned_data["who"]
        if value.startswith(f"{CHILD}:"):
            return CHILD, int(value.split(":", 1)[1])
        return value, None


class ChildForm(IdentityForm):
    """The child's national id number or D-number, or, without one, birth date and
    gender; and the name (as the new user's identity step asks them)."""

    has_national_id = forms.ChoiceField(
        label=gettext_lazy("Does the child have a Norwegian national id number?"),
        choices=[
            (YES, gettext_lazy("Yes, a national id number (fødselsnummer) or D-number")),
            (NO, gettext_lazy("No, the child does not have one")),
        ],
        widget=forms.RadioSelect,
        initial=YES,
    )
    missing_number = gettext_lazy("Type the child's national id number (11 digits).")
    missing_birth_date = gettext_lazy("Type the child's birth date, like 31.12.2015.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["national_id"].help_text = gettext_lazy(
            "The child's birth date (ddmmyy) and five more digits."
        )
        self.fields["first_name"].label = gettext_lazy("The child's first name")
        self.fields["last_name"].label = gettext_lazy("The child's last name")
        self.fields["birth_date"].label = gettext_lazy("The child's birth date")
        self.fields["gender"].label = gettext_lazy("The child's gender")
        for name in ("first_name", "last_name", "birth_date"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
