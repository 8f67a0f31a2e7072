from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django_scopes import scopes_disabled

from members.models import Membership
from members.permissions import clubs_for_user


@login_required
def home(request):
    """Start page after login: the clubs this user runs, and their own memberships."""
    clubs = list(clubs_for_user(request.user))
    person = request.user.person
    # Named system code: a person's own memberships across clubs (Min side's view).
    with scopes_disabled():
        own = (
            list(Membership.objects.filter(person=person).select_related("club", "category"))
            if person
            else []
        )
    if len(clubs) == 1 and not own:
        return redirect("members:dashboard", club_slug=clubs[0].slug)
    return render(request, "members/home.html", {"admin_clubs": clubs, "own_memberships": own})
