from invitations.forms.invite import InviteForm
from invitations.forms.signup import SignupForm
from invitations.forms.wizard import AccountForm, CodeForm, ConsentForm, IdentityForm, PhoneForm

__all__ = [
    "AccountForm",
    "CodeForm",
    "ConsentForm",
    "IdentityForm",
    "InviteForm",
    "PhoneForm",
    "SignupForm",
]
