"""What a person typed in the registration wizard (R-REG-3), kept in their session per
invitation so that every step shows it again when they go back, in this tab or another.

The national id number is kept encrypted (members.identity) and the password only as
its hash; the whole state is removed when the login has been made.
"""

from datetime import date

from invitations.forms.wizard import YES
from invitations.services.registration import Identity
from members import identity as ids

STEPS = ("identity", "phone", "account", "consent")
# The steps' addresses, as the person sees them.
SLUGS = {"identity": "identitet", "phone": "mobil", "account": "bruker", "consent": "vilkar"}
STEP_OF_SLUG = {slug: step for step, slug in SLUGS.items()}


def pack_identity(cleaned: dict) -> dict:
    """An identity form's cleaned data as kept in the session (the number encrypted)."""
    number = cleaned.get("national_id") or ""
    return {
        "has_national_id": cleaned["has_national_id"],
        "national_id": ids.encrypt(number) if number else "",
        "first_name": cleaned["first_name"],
        "last_name": cleaned["last_name"],
        "birth_date": cleaned["birth_date"].isoformat(),
        "gender": cleaned.get("gender") or "",
    }


def identity_initial(saved: dict | None) -> dict:
    """What the identity form shows again."""
    if not saved:
        return {}
    initial = dict(saved)
    initial["national_id"] = ids.decrypt(saved["national_id"]) if saved["national_id"] else ""
    if saved["has_national_id"] == YES:
        initial["birth_date"] = None  # it came from the number
    else:
        initial["birth_date"] = date.fromisoformat(saved["birth_date"])
    return initial


def unpack_identity(saved: dict | None) -> Identity | None:
    if not saved:
        return None
    number = ids.decrypt(saved["national_id"]) if saved["national_id"] else ""
    return Identity(
        first_name=saved["first_name"],
        last_name=saved["last_name"],
        birth_date=date.fromisoformat(saved["birth_date"]),
        gender=saved["gender"],
        national_id=number,
    )


class WizardState:
    def __init__(self, session, invitation):
        self.session = session
        self.key = f"registration:{invitation.pk}"
        self.data: dict = dict(session.get(self.key) or {})

    def _save(self) -> None:
        self.session[self.key] = self.data
        self.session.modified = True

    def clear(self) -> None:
        self.session.pop(self.key, None)

    def first_missing(self) -> str | None:
        """The first step not done yet (None: all are)."""
        done = {
            "identity": self.identity() is not None,
            "phone": self.confirmed_phone() is not None,
            "account": self.account() is not None,
            "consent": False,  # the last step: giving consent makes the login
        }
        return next((step for step in STEPS if not done[step]), None)

    # Step 1: who -----------------------------------------------------------------------

    def set_identity(self, cleaned: dict) -> None:
        self.data["identity"] = pack_identity(cleaned)
        self._save()

    def identity_initial(self) -> dict:
        return identity_initial(self.data.get("identity"))

    def identity(self) -> Identity | None:
        return unpack_identity(self.data.get("identity"))

    # Step 2: the mobile number ---------------------------------------------------------

    def set_code_sent(self, phone: str) -> None:
        self.data["phone"] = phone
        self._save()

    def code_sent_to(self) -> str:
        return self.data.get("phone", "")

    def set_confirmed(self, phone: str, code_id: int) -> None:
        self.data["phone"] = phone
        self.data["confirmed"] = {"phone": phone, "code_id": code_id}
        self._save()

    def forget_confirmation(self) -> None:
        self.data.pop("confirmed", None)
        self._save()

    def confirmed_phone(self) -> tuple[str, int] | None:
        confirmed = self.data.get("confirmed")
        return (confirmed["phone"], confirmed["code_id"]) if confirmed else None

    # Step 3: the login -----------------------------------------------------------------

    def set_account(self, email: str, password_hash: str) -> None:
        self.data["account"] = {"email": email, "password_hash": password_hash}
        self._save()

    def account(self) -> tuple[str, str] | None:
        saved = self.data.get("account")
        return (saved["email"], saved["password_hash"]) if saved else None

    # Step 4: consents ------------------------------------------------------------------

    def set_consent(self, choices: dict) -> None:
        self.data["consent"] = choices
        self._save()

    def consent_initial(self) -> dict:
        return dict(self.data.get("consent") or {})
