"""Min side (``/min-side/``, R-ACT-6): the logged-in person's own page across all clubs.

Not club-scoped by URL. Every page starts from ``request.user.person`` and reaches only
that person and their children (``members.permissions``); an id that is not theirs is
a 404. The club scope stays off: the services lift it for named, person-filtered
queries only.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import permissions, services
from members.forms import ContactForm
from members.minside import min_side_panels


def min_side_view(view):
    """Login required; a login without a person gets a page that says so."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        person = permissions.min_side_person(request.user)
        if person is None:
            return render(request, "members/min_side/no_person.html")
        return view(request, person, *args, **kwargs)

    return wrapped


@min_side_view
def index(request, person):
    persons = permissions.min_side_persons(person)
    sections = [
        {
            "overview": overview,
            "is_self": overview.person.pk == person.pk,
            "panels": min_side_panels(request, overview.person),
        }
        for overview in services.min_side_overview(persons)
    ]
    return render(
        request,
        "members/min_side/index.html",
        {"person": person, "own": sections[0], "children": sections[1:]},
    )


def _initial(person) -> dict:
    return {name: getattr(person, name) or "" for name in services.CONTACT_FIELDS}


def _edit_contact(request, person, subject, *, own: bool):
    form = ContactForm(
        request.POST or None, initial=_initial(subject), country=subject.country, own=own
    )
    if request.method == "POST" and form.is_valid():
        changed = services.update_contact_details(
            subject, form.cleaned_data, by=request.user, reason=_("Changed on Min side")
        )
        if changed:
            messages.success(request, _("The contact details are saved."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("minside:index")
    return render(
        request,
        "members/min_side/contact.html",
        {"person": person, "subject": subject, "form": form, "own": own},
        status=400 if request.method == "POST" else 200,
    )


@min_side_view
def edit_contact(request, person):
    return _edit_contact(request, person, person, own=True)


@min_side_view
def edit_child_contact(request, person, child_id):
    child = permissions.min_side_child(person, child_id)
    if child is None:
        raise Http404
    return _edit_contact(request, person, child, own=False)


@require_POST
@min_side_view
def newsletter(request, person):
    """Opt out of newsletters or back in (R-COM-5); the choice is explicit, so a
    repeated submit changes nothing."""
    choice = request.POST.get("newsletter")
    if choice not in ("out", "in"):
        return HttpResponseBadRequest()
    services.set_newsletter_opt_out(
        person, choice == "out", by=request.user, reason=_("Changed on Min side")
    )
    if choice == "out":
        messages.success(request, _("You will get no more newsletters."))
    else:
        messages.success(request, _("You will get newsletters from your clubs again."))
    return redirect("minside:index")


@min_side_view
def cancel_membership(request, person, membership_id):
    """A confirmation page, then the cancellation (SPEC §3: active → cancelled)."""
    persons = permissions.min_side_persons(person)
    membership = services.min_side_membership(persons, membership_id)
    if membership is None:
        raise Http404
    if not services.can_cancel(membership):
        if membership.status == membership.Status.CANCELLED:
            messages.info(request, _("This membership is cancelled already."))
        else:
            messages.error(request, _("This membership cannot be cancelled here."))
        return redirect("minside:index")
    if request.method == "POST":
        try:
            cancelled = services.cancel_membership(
                membership, by=request.user, reason=_("Cancelled on Min side")
            )
        except services.MembersError as exc:
            messages.error(request, str(exc))
        else:
            if not cancelled:  # a second tab or click that raced the first
                messages.info(request, _("This membership is cancelled already."))
                return redirect("minside:index")
            messages.success(
                request,
                _("The membership of %(name)s in %(club)s is cancelled.")
                % {"name": membership.person.full_name, "club": membership.club.name},
            )
        return redirect("minside:index")
    return render(
        request,
        "members/min_side/cancel.html",
        {
            "person": person,
            "membership": membership,
            "is_self": membership.person_id == person.pk,
            "today": timezone.localdate(),
        },
    )
