"""The invitation's link (R-REG-2 … R-REG-4): public pages, made for a phone first; the
code in the address is the key.

The link offers "Log in" (an existing user takes the invitation and skips the rest) or
"New user": who you are, your mobile number confirmed with a one-time code, username
and password, and consent; then the login is made and you are logged in. What you type
is kept per invitation in your session (``invitations.wizard``), so going back shows it.
An expired, revoked or unknown link gets a page that says so, and shows no one's data.
"""

from allauth.account.adapter import get_adapter
from allauth.account.utils import perform_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from invitations import services
from invitations.forms import AccountForm, CodeForm, ConsentForm, IdentityForm, PhoneForm
from invitations.forms.wizard import YES
from invitations.wizard import SLUGS, STEP_OF_SLUG, STEPS, WizardState
from members.filters import format_phone

CREATED = "registration-created"  # session: the invitation whose login was just made


def closed(request, invitation, state: str):
    return render(
        request,
        "invitations/registration/closed.html",
        {"state": state, "club": invitation.club if invitation else None},
        status=404 if state == "invalid" else 410,
    )


def _login_url(request) -> str:
    return f"{reverse('account_login')}?{urlencode({'next': request.path})}"


@require_http_methods(["GET", "POST"])
def invitation(request, code: str):
    """Where the link lands: log in or new user; logged in, "continue as …"."""
    found = services.find_invitation(code)
    state = services.link_state(found)
    user = request.user if request.user.is_authenticated else None
    if found is not None and user is not None and found.user_id == user.pk:
        return redirect("invitations:welcome", code=code)
    if state != "open":
        return closed(request, found, state)
    services.mark_opened(found)
    context = {"invitation": found, "club": found.club, "code": code}
    context["login_url"] = _login_url(request)
    if found.user_id is not None:
        return render(request, "invitations/registration/taken.html", context)
    if user is None:
        context["signup_url"] = _step_url(code, STEPS[0])
        return render(request, "invitations/registration/start.html", context)
    if request.method == "POST":
        try:
            services.accept_invitation(found, user)
        except services.RegistrationRefused as exc:
            context["error"] = str(exc)
        else:
            return redirect("invitations:welcome", code=code)
    return render(request, "invitations/registration/existing.html", context)


def _step_url(code: str, step: str) -> str:
    return reverse("invitations:signup", kwargs={"code": code, "step": SLUGS[step]})


@require_http_methods(["GET", "POST"])
def signup(request, code: str, step: str):
    """The steps of a new user; each needs the ones before it."""
    step = STEP_OF_SLUG.get(step)
    if step is None:
        raise Http404
    found = services.find_invitation(code)
    state = services.link_state(found)
    if state != "open":
        return closed(request, found, state)
    if request.user.is_authenticated or found.user_id is not None:
        return redirect("invitations:invitation", code=code)
    wizard = WizardState(request.session, found)
    missing = wizard.first_missing()
    if STEPS.index(step) > STEPS.index(missing):
        return redirect(_step_url(code, missing))
    index = STEPS.index(step)
    context = {
        "invitation": found,
        "club": found.club,
        "code": code,
        "step": step,
        "number": index + 1,
        "count": len(STEPS),
        "back_url": _step_url(code, STEPS[index - 1])
        if index
        else reverse("invitations:invitation", kwargs={"code": code}),
        "login_url": _login_url(request),
    }
    handler = {"identity": _identity, "phone": _phone, "account": _account, "consent": _consent}
    return handler[step](request, found, wizard, context)


def _render_step(request, step: str, context: dict, *, status: int = 200):
    return render(request, f"invitations/registration/step_{step}.html", context, status=status)


def _identity(request, found, wizard, context):
    initial = wizard.identity_initial() or {"has_national_id": YES}
    form = IdentityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = services.Identity.from_form(data)
        try:
            services.check_identity(person)
        except services.RegistrationRefused as exc:
            context["refusal"] = exc
        else:
            wizard.set_identity(data)
            return redirect(_step_url(context["code"], "phone"))
    context["form"] = form
    failed = request.method == "POST"
    return _render_step(request, "identity", context, status=400 if failed else 200)


def _phone(request, found, wizard, context):
    """Send a code to the number, then type it. Confirmed, the step shows so and goes on."""
    code = context["code"]
    sent_to = wizard.code_sent_to()
    confirmed = wizard.confirmed_phone()
    changing = request.GET.get("change") == "1" or not sent_to
    phone_form = PhoneForm(initial={"phone": format_phone(sent_to or found.phone)})
    code_form = CodeForm()
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "send":
        phone_form = PhoneForm(request.POST)
        if phone_form.is_valid():
            phone = phone_form.cleaned_data["phone"]
            if confirmed and confirmed[0] == phone:
                return redirect(_step_url(code, "account"))
            try:
                services.send_code(
                    club=found.club,
                    phone=phone,
                    purpose=services.phone_purpose(found),
                    ip=get_adapter(request).get_client_ip(request),
                )
            except services.CodeRefused as exc:
                if phone == sent_to:  # "send a new code": stay with the code form
                    context["send_error"] = str(exc)
                else:
                    phone_form.add_error("phone", str(exc))
                    changing = True
            else:
                if confirmed:
                    wizard.forget_confirmation()
                wizard.set_code_sent(phone)
                return redirect(request.path)
        else:
            changing = True
    elif action == "verify" and sent_to:
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            try:
                row = services.check_code(
                    phone=sent_to,
                    purpose=services.phone_purpose(found),
                    code=code_form.cleaned_data["code"],
                )
            except services.CodeRefused as exc:
                code_form.add_error("code", str(exc))
            else:
                wizard.set_confirmed(sent_to, row.pk)
                try:  # the register's person this is must be reachable at it (or the e-mail)
                    services.check_login_claim(found, wizard.identity(), sent_to)
                except services.RegistrationRefused as exc:
                    context["refusal"] = exc
                    wizard.forget_confirmation()  # another number may be theirs
                    confirmed, changing = None, True
                else:
                    return redirect(_step_url(code, "account"))
    context.update(
        {
            "phone_form": phone_form,
            "code_form": code_form,
            "sent_to": sent_to,
            "sent_to_display": format_phone(sent_to),
            "confirmed": confirmed[0] if confirmed else "",
            "confirmed_display": format_phone(confirmed[0]) if confirmed else "",
            "changing": changing,
            "wait": services.seconds_until_resend(sent_to) if sent_to else 0,
            "next_url": _step_url(code, "account"),
        }
    )
    failed = request.method == "POST"
    return _render_step(request, "phone", context, status=400 if failed else 200)


def _account(request, found, wizard, context):
    saved = wizard.account()
    form = AccountForm(
        request.POST or None,
        initial={"email": saved[0] if saved else found.email},
        email_taken=services.email_taken,
        has_password=saved is not None,
    )
    if request.method == "POST" and form.is_valid():
        password_hash = form.cleaned_data["password_hash"] or saved[1]
        wizard.set_account(form.cleaned_data["email"], password_hash)
        return redirect(_step_url(context["code"], "consent"))
    context["form"] = form
    failed = request.method == "POST"
    return _render_step(request, "account", context, status=400 if failed else 200)


def _consent(request, found, wizard, context):
    """The last step: agreeing makes the login (once, however often it is sent)."""
    texts = services.consent_texts(found.club)
    form = ConsentForm(request.POST or None, texts=texts, initial=wizard.consent_initial())
    if request.method == "POST":
        wizard.set_consent({name: name in request.POST for name in ("sport_rules", "club_terms")})
        if form.is_valid():
            phone, code_id = wizard.confirmed_phone()
            email, password_hash = wizard.account()
            new = services.NewLogin(
                identity=wizard.identity(),
                phone=phone,
                phone_code_id=code_id,
                email=email,
                password_hash=password_hash,
                consents=tuple(texts),
            )
            try:
                user = services.create_login(found.pk, new)
            except services.RegistrationRefused as exc:
                context["refusal"] = exc
                context["fix_url"] = _fix_url(context["code"], exc.reason)
            else:
                wizard.clear()
                request.session[CREATED] = found.pk
                return perform_login(
                    request,
                    user,
                    email_verification="none",
                    redirect_url=reverse("invitations:welcome", kwargs={"code": context["code"]}),
                    email=user.email,
                )
    context["form"] = form
    context["texts"] = {t.kind: t for t in texts}
    failed = request.method == "POST"
    return _render_step(request, "consent", context, status=400 if failed else 200)


def _fix_url(code: str, reason: str) -> str | None:
    """Where a refused registration is put right."""
    step = {"email_taken": "account", "phone": "phone", "ambiguous": "identity"}.get(reason)
    return _step_url(code, step) if step else None
