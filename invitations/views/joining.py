"""After the login (R-REG-5 … R-REG-7), made for a phone first: who becomes a member
(the welcome page), a child typed in, the memberships and groups with their prices, the
cart with the one button the club's settings give, the card payment's way back, and the
receipt. Only the user who made or took the invitation's login sees them: logged out,
the link's start page; another login, a page that says so (404) and nothing else. The
rules are in ``invitations.services`` (``who``, ``cart``, ``joining``).
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from billing.payments import services as payments
from billing.services import BillingError
from invitations import services
from invitations.forms import ChildForm, WhoForm
from invitations.forms.wizard import YES
from invitations.joining_state import JoiningState
from invitations.models import InvitationState, JoinOutcome
from invitations.services.who import CHILD, NEW_CHILD, SELF
from invitations.views.registration import CREATED, closed
from members.filters import format_phone
from members.models import Person

STEPS = ("who", "shop", "cart", "done")


def _load(request, code: str, *, registering: bool = True):
    """(invitation, None) for its own user; else (None, the page to answer with).
    ``registering``: the invitation must still be usable (not revoked or expired)."""
    found = services.find_invitation(code)
    if found is None:
        return None, closed(request, None, "invalid")
    if not request.user.is_authenticated:
        return None, redirect("invitations:invitation", code=code)
    if found.user_id != request.user.pk or request.user.person_id is None:
        context = {"club": found.club, "login_url": reverse("account_login")}
        return None, render(request, "invitations/registration/taken.html", context, status=404)
    if registering and (found.status == InvitationState.REVOKED or found.is_expired()):
        return None, closed(request, found, "revoked" if found.status == "revoked" else "expired")
    return found, None


def _context(found, code: str, step: str, **extra) -> dict:
    return {
        "invitation": found,
        "club": found.club,
        "code": code,
        "step": step,
        "number": STEPS.index(step) + 1,
        "count": len(STEPS),
        **extra,
    }


def _receipt(code: str, registration_id: int):
    return redirect("invitations:receipt", code=code, registration_id=registration_id)


def _refused(request, template: str, context: dict, exc, code: str):
    """A refusal on a page; one that found this invitation's own registration goes to
    its receipt instead."""
    earlier = getattr(exc, "registration", None)
    if earlier is not None:
        return _receipt(code, earlier.pk)
    context["refusal"] = exc
    return render(request, template, context, status=400)


@require_http_methods(["GET", "POST"])
def welcome(request, code: str):
    """The login is made (or taken): who becomes a member — myself, one of my children
    in the register, or another child (R-REG-5, R-REG-6)."""
    found, response = _load(request, code, registering=False)
    if response:
        return response
    person = request.user.person
    today = timezone.localdate()
    state = JoiningState(request.session, found)
    chosen = {} if state.done() else state.who() or {}
    initial = chosen.get("kind")
    if initial == CHILD:
        initial = f"{CHILD}:{chosen['person_id']}"
    form = WhoForm(
        request.POST or None,
        children=services.children_of(person, today, club=found.club),
        initial={"who": initial},
    )
    usable = found.status != InvitationState.REVOKED and not found.is_expired()
    context = _context(
        found,
        code,
        "who",
        created=request.session.get(CREATED) == found.pk,
        person=person,
        phone=format_phone(str(person.mobile.as_e164)) if person.mobile else "",
        form=form,
        usable=usable,
        registrations=services.registrations_of(found),
    )
    template = "invitations/registration/welcome.html"
    if request.method == "POST" and usable and form.is_valid():
        kind, child_id = form.chosen()
        try:
            if kind == SELF:
                services.check_self(found, person, today)
            elif kind == CHILD:
                services.check_known_child(found, person, child_id, today)
            else:
                services.check_guardian(person, today)
        except services.RegistrationRefused as exc:
            return _refused(request, template, context, exc, code)
        if kind == NEW_CHILD:
            return redirect("invitations:child", code=code)
        state.choose(kind, child_id)
        return redirect("invitations:shop", code=code)
    status = 400 if request.method == "POST" else 200
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def child(request, code: str):
    """A child typed in: national id number, or name, birth date and gender."""
    found, response = _load(request, code)
    if response:
        return response
    state = JoiningState(request.session, found)
    initial = state.child_initial() or {"has_national_id": YES}
    form = ChildForm(request.POST or None, initial=initial)
    context = _context(found, code, "who", form=form, back_url=_url("welcome", code))
    template = "invitations/joining/child.html"
    if request.method == "POST" and form.is_valid():
        identity = services.Identity.from_form(form.cleaned_data)
        try:
            services.check_new_child(found, request.user.person, identity, timezone.localdate())
        except services.RegistrationRefused as exc:
            return _refused(request, template, context, exc, code)
        state.set_child(form.cleaned_data)
        return redirect("invitations:shop", code=code)
    status = 400 if request.method == "POST" else 200
    return render(request, template, context, status=status)


def _url(name: str, code: str) -> str:
    return reverse(f"invitations:{name}", kwargs={"code": code})


def _who(state: JoiningState) -> services.Who | None:
    chosen = state.who()
    if not chosen:
        return None
    child = state.child() if chosen["kind"] == NEW_CHILD else None
    if chosen["kind"] == NEW_CHILD and child is None:
        return None
    return services.Who(chosen["kind"], chosen.get("person_id"), child)


def _applicant(request, found, state):
    who = _who(state)
    if who is None:
        return None, None
    try:
        return who, services.applicant(found.club, request.user.person, who)
    except services.RegistrationRefused:  # the register changed (ambiguous now)
        return None, None
    except Person.DoesNotExist:  # not their child (any more)
        return None, None


@require_http_methods(["GET", "POST"])
def shop(request, code: str):
    """The club's memberships and groups open for registration, priced for the person;
    "Add to cart" (one membership; any groups with a place), then "Show cart"."""
    found, response = _load(request, code)
    if response:
        return response
    state = JoiningState(request.session, found)
    who, applicant = _applicant(request, found, state)
    if applicant is None:
        return redirect("invitations:welcome", code=code)
    today = timezone.localdate()
    categories, groups = services.offers(found.club, applicant, today)
    if request.method == "POST":
        _change_cart(request.POST, state, categories, groups)
        return redirect(_url("shop", code) + "#cart")
    context = _context(
        found,
        code,
        "shop",
        applicant=applicant,
        age=applicant.age_on(today),
        is_self=who.kind == SELF,
        categories=categories,
        groups=groups,
        chosen_category=state.category_id,
        chosen_groups=state.group_ids,
        cart=services.cart_view(found.club, applicant, state.category_id, state.group_ids, today),
        back_url=_url("child", code) if who.kind == NEW_CHILD else _url("welcome", code),
    )
    return render(request, "invitations/joining/shop.html", context)


def _number(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _change_cart(data, state: JoiningState, categories, groups) -> None:
    """Add or take out what the form says; only what is on offer can be added."""
    category = _number(data.get("add_category"))
    if category is not None and category in {o.pk for o in categories}:
        state.put_category(category)
    group = _number(data.get("add_group"))
    if group is not None and group in {o.pk for o in groups if not o.full}:
        state.put_group(group)
    if _number(data.get("remove_group")) is not None:
        state.remove_group(_number(data.get("remove_group")))
    if data.get("remove_category"):
        state.put_category(None)


@require_http_methods(["GET", "POST"])
def cart(request, code: str):
    """The cart and its one button, by the club's settings (R-REG-7): "Send for
    approval", "Activate membership" or "Pay now"."""
    found, response = _load(request, code)
    if response:
        return response
    state = JoiningState(request.session, found)
    done = state.done()
    action = request.POST.get("action") if request.method == "POST" else None
    if done and (action is None or request.POST.get("version") == done["version"]):
        return _receipt(code, done["registration"])  # sent already (the back button)
    who, applicant = _applicant(request, found, state)
    if applicant is None:
        return redirect("invitations:welcome", code=code)
    today = timezone.localdate()
    if action in ("remove_group", "remove_category"):
        categories, groups = services.offers(found.club, applicant, today)
        _change_cart(request.POST, state, categories, groups)
        return redirect("invitations:cart", code=code)
    view = services.cart_view(found.club, applicant, state.category_id, state.group_ids, today)
    context = _context(
        found,
        code,
        "cart",
        applicant=applicant,
        cart=view,
        outcome=services.outcome_for(found.club),
        first_invoice=services.reference_date(found.club, today),
        version=state.version(),
        back_url=_url("shop", code),
    )
    template = "invitations/joining/cart.html"
    if action == "checkout":
        if request.POST.get("version") != state.version():
            context["stale"] = True  # changed in another tab: look again
            return render(request, template, context, status=409)
        try:
            registration = services.checkout(
                found.pk, request.user, who, state.category_id, state.group_ids
            )
        except services.RegistrationRefused as exc:
            return _refused(request, template, context, exc, code)
        state.set_done(registration.pk, context["version"])
        return _after_checkout(request, code, registration)
    return render(request, template, context, status=400 if action else 200)


def _after_checkout(request, code: str, registration):
    """To the card payment when the invoice is the user's to pay now; else the receipt."""
    if registration.outcome == JoinOutcome.PAY_NOW and services.card_payable(
        registration, request.user.person_id
    ):
        try:
            return redirect(_start_payment(request, code, registration))
        except BillingError:  # e.g. the provider is down: the receipt offers "Pay now"
            pass
    return _receipt(code, registration.pk)


def _start_payment(request, code: str, registration) -> str:
    base = request.build_absolute_uri("/")
    args = {"code": code, "registration_id": registration.pk, "token": "TOKEN"}
    back = reverse("invitations:payment_back", kwargs=args).replace("TOKEN", "{token}")
    cancel = reverse("invitations:payment_cancelled", kwargs=args).replace("TOKEN", "{token}")
    return payments.start_payment(
        registration.invoice, request.user.person, base, return_path=back, cancel_path=cancel
    )


@require_http_methods(["GET", "POST"])
def receipt(request, code: str, registration_id: int):
    """What happened, in plain words; "Pay now" while the invoice is open."""
    found, response = _load(request, code, registering=False)
    if response:
        return response
    registration = services.registration_for(found, request.user, registration_id)
    if registration is None:
        raise Http404
    payable = services.card_payable(registration, request.user.person_id)
    error = None
    if request.method == "POST" and payable:
        try:
            return redirect(_start_payment(request, code, registration))
        except BillingError as exc:
            error = str(exc)
    context = _context(
        found,
        code,
        "done",
        registration=registration,
        membership=registration.membership,
        groups=services.groups_of(registration),
        card=services.last_card_payment(registration),
        payable=payable,
        error=error,
        more=found.status != InvitationState.REVOKED and not found.is_expired(),
    )
    status = 400 if error else 200
    return render(request, "invitations/joining/receipt.html", context, status=status)


def _card(request, code: str, registration_id: int, token: str):
    found, response = _load(request, code, registering=False)
    if response:
        return None, response
    registration = services.registration_for(found, request.user, registration_id)
    card = payments.card_payment_for(request.user.person, token)
    if registration is None or card is None or card.invoice_id != registration.invoice_id:
        raise Http404
    return card, None


def payment_back(request, code: str, registration_id: int, token: str):
    """The payment provider sends the member back here after paying."""
    card, response = _card(request, code, registration_id, token)
    if response:
        return response
    payments.refresh_status(card)
    return _receipt(code, registration_id)


def payment_cancelled(request, code: str, registration_id: int, token: str):
    """The provider's cancel address (a GET, as providers redirect): the payment ends,
    the member stays active, the invoice is e-mailed as PrePaid (R-REG-7 (iii))."""
    card, response = _card(request, code, registration_id, token)
    if response:
        return response
    payments.cancel_by_return(card)
    return _receipt(code, registration_id)
