from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from members import services
from members.forms import GuardianForm, MembershipEditForm, PersonEditForm
from members.permissions import require_club_admin, visible_memberships


@require_club_admin
def edit_member(request, club_slug, membership_id):
    """Correct a member's data (where the data-quality page sends the admin)."""
    membership = get_object_or_404(
        visible_memberships(request.club_access).select_related("person"), pk=membership_id
    )
    person = membership.person
    person_form = PersonEditForm(request.POST or None, instance=person, prefix="p")
    membership_form = MembershipEditForm(request.POST or None, instance=membership, prefix="m")
    if request.method == "POST" and person_form.is_valid() and membership_form.is_valid():
        with transaction.atomic():
            data = {f: person_form.cleaned_data[f] for f in person_form.Meta.fields}
            data["national_id"] = person_form.cleaned_data["national_id"]
            services.update_person(person, data, by=request.user)
            membership._history_user = request.user
            membership_form.save()
        messages.success(request, _("The changes are saved."))
        return redirect("members:card", club_slug=club_slug, membership_id=membership.pk)
    return render(
        request,
        "members/edit_member.html",
        {
            "membership": membership,
            "person": person,
            "person_form": person_form,
            "membership_form": membership_form,
            "guardian_form": GuardianForm(),
        },
    )


@require_club_admin
def add_guardian(request, club_slug, membership_id):
    membership = get_object_or_404(
        visible_memberships(request.club_access).select_related("person"), pk=membership_id
    )
    form = GuardianForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            guardian = services.add_guardian(
                membership.person, by=request.user, **form.cleaned_data
            )
        except services.MembersError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(name)s is registered as guardian.") % {"name": guardian})
            return redirect("members:card", club_slug=club_slug, membership_id=membership.pk)
    return render(
        request,
        "members/add_guardian.html",
        {"membership": membership, "person": membership.person, "guardian_form": form},
        status=400 if request.method == "POST" else 200,
    )
