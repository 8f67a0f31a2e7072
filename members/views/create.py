"""Create member (R-MEM-5): search the registry by exact identity first, then attach
the person found or create a new one. Registry persons who do not match exactly are
never shown."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import services
from members.forms import AttachForm, IdentitySearchForm, PersonForm
from members.models import Membership, Person
from members.permissions import require_club_admin


@require_club_admin
def create_member(request, club_slug):
    club = request.club
    search = IdentitySearchForm(request.GET or None)
    matches, searched = [], False
    if search.is_bound and search.is_valid():
        searched = True
        query = services.IdentityQuery(**search.cleaned_data)
        matches = services.find_registry_matches(query)
    member_ids = set(
        Membership.objects.filter(club=club, person__in=matches).values_list("person_id", flat=True)
    )
    initial = {k: v for k, v in (search.cleaned_data.items() if searched else []) if v}
    context = {
        "search": search,
        "searched": searched,
        "matches": [(p, p.pk in member_ids) for p in matches],
        "attach_form": AttachForm(club=club),
        "person_form": PersonForm(club=club, initial=initial) if searched and not matches else None,
    }
    return render(request, "members/create_member.html", context)


@require_POST
@require_club_admin
def attach_member(request, club_slug):
    """Attach a person found by the exact search to this club."""
    club = request.club
    form = AttachForm(request.POST, club=club)
    if not form.is_valid():
        messages.error(request, _("Choose a valid category."))
        return redirect("members:create", club_slug=club_slug)
    person = Person.objects.filter(public_id=form.cleaned_data["person"]).first()
    if person is None:
        messages.error(request, _("That person could not be found. Search again."))
        return redirect("members:create", club_slug=club_slug)
    return _add(request, person, form.cleaned_data["category"])


@require_POST
@require_club_admin
def create_person(request, club_slug):
    club = request.club
    form = PersonForm(request.POST, club=club)
    if not form.is_valid():
        search = IdentitySearchForm()
        return render(
            request,
            "members/create_member.html",
            {"search": search, "searched": True, "matches": [], "person_form": form},
            status=400,
        )
    data = dict(form.cleaned_data)
    category = data.pop("category")
    national_id = data.pop("national_id")
    # A last exact check: a double click or a racing admin must not create a twin.
    query = services.IdentityQuery(
        first_name=data["first_name"],
        last_name=data["last_name"],
        birth_date=data["birth_date"],
        national_id=national_id,
    )
    existing = services.find_registry_matches(query)
    if existing:
        return _add(request, existing[0], category)
    try:
        with transaction.atomic():
            person = services.create_person(national_id=national_id, by=request.user, **data)
            return _add(request, person, category)
    except services.MembersError as exc:
        messages.error(request, str(exc))
        return redirect("members:create", club_slug=club_slug)


def _add(request, person, category):
    try:
        membership = services.add_membership(
            request.club, person, source=Membership.Source.ADMIN, category=category, by=request.user
        )
    except services.AlreadyMember as exc:
        messages.info(request, str(exc))
        membership = Membership.objects.get(club=request.club, person=person)
    else:
        messages.success(request, _("%(name)s is now a member.") % {"name": person.full_name})
    return redirect("members:card", club_slug=request.club.slug, membership_id=membership.pk)
