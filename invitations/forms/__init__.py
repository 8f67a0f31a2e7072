from invitations.forms.invite import InviteForm
from invitations.forms.joining import ChildForm, WhoForm
from invitations.forms.signup import SignupForm
from invitations.forms.wizard import AccountForm, CodeForm, ConsentForm, IdentityForm, PhoneForm

__all__ = [
    "AccountForm",
    "ChildForm",
    "CodeForm",
    "ConsentForm",
    "IdentityForm",
    "InviteForm",
    "PhoneForm",
    "SignupForm",
    "WhoForm",
]
