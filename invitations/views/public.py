"""Public pages of the activation (no login needed; the link is the key): confirming a
membership (R-ACT-2, R-ACT-4) and creating a Min side login from an invitation (R-ACT-5).

They show no more than the link's holder may see: the club and the first name of the
member the link is about; a used, expired or unknown link shows nobody's data.
"""

from allauth.account.utils import perform_login
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from invitations import services
from invitations.forms import SignupForm

Outcome = services.Outcome
STATUS = {Outcome.INVALID: 404, Outcome.EXPIRED: 410, Outcome.REPLACED: 410}


@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows the "Bekreft" button (a link scanner opening the link confirms
    nothing); POST confirms. Confirming again says it was done already."""
    if request.method == "POST":
        by = request.user if request.user.is_authenticated else None
        state = services.confirm(token, by=by)
    else:
        state = services.check_verification(token)
    return render(
        request,
        "invitations/confirm.html",
        {"state": state, "club": state.club, "hours": settings.VERIFICATION_LINK_HOURS},
        status=STATUS.get(state.outcome, 200),
    )


@require_http_methods(["GET", "POST"])
def redeem(request, code: str):
    """The Min side invitation: create a login for the invited person (e-mail suggested
    as username, password twice), or, logged in, connect this login; then Min side."""
    invite = services.find_invite(code)
    state = services.invite_state(invite)
    user = request.user if request.user.is_authenticated else None
    context = {"invite": invite, "state": state, "club": invite.club if invite else None}
    here = request.get_full_path()
    context["login_url"] = f"{reverse('account_login')}?next={here}"

    if user is not None and invite is not None:
        mine = invite.used_by_id == user.pk or (
            state == "has_login" and user.person_id == invite.person_id
        )
        if mine:
            if state == "has_login":
                services.redeem_invite(code, user)
            return redirect("minside:index")
    if state in ("invalid", "used", "expired"):
        status = 404 if state == "invalid" else 410
        return render(request, "invitations/invite_closed.html", context, status=status)
    if state == "has_login":
        return render(request, "invitations/invite_login.html", context)
    if user is not None:
        return _attach(request, code, user, context)
    return _signup(request, code, invite, context)


def _attach(request, code, user, context):
    """Logged in with a login of no one yet: connect it to the invited person."""
    if user.person_id is not None:
        return render(request, "invitations/invite_other.html", context, status=403)
    if request.method == "POST":
        try:
            services.redeem_invite(code, user)
        except services.InviteRefused as exc:
            context["error"] = str(exc)
            return render(request, "invitations/invite_closed.html", context, status=410)
        return redirect("minside:index")
    return render(request, "invitations/invite_attach.html", context)


def _signup(request, code, invite, context):
    form = SignupForm(
        request.POST or None,
        initial={"email": invite.email},
        email_taken=services.email_has_login,
    )
    if request.method == "POST" and form.is_valid():
        signup = services.Signup(form.cleaned_data["email"], form.cleaned_data["password1"])
        try:
            user = services.redeem_invite(code, signup)
        except services.InviteRefused as exc:
            if exc.reason == "email_taken":
                form.login_exists = True
                form.add_error("email", str(exc))
            else:
                context["error"] = str(exc)
                return render(request, "invitations/invite_closed.html", context, status=410)
        else:
            return perform_login(
                request,
                user,
                email_verification="none",
                redirect_url=reverse("minside:index"),
                email=user.email,
            )
    context["form"] = form
    context["first_name"] = invite.person.first_name
    status = 400 if request.method == "POST" else 200
    return render(request, "invitations/invite_signup.html", context, status=status)
