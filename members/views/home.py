from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from members import services
from members.permissions import clubs_for_user


@login_required
def home(request):
    """Start page after login: the clubs this user runs, and their own memberships. A
    user with no role in any club (a member, a guardian) lands on Min side."""
    clubs = list(clubs_for_user(request.user))
    if not clubs:
        return redirect("minside:index")
    own = services.own_memberships(request.user.person)
    if len(clubs) == 1 and not own:
        return redirect("members:dashboard", club_slug=clubs[0].slug)
    return render(request, "members/home.html", {"admin_clubs": clubs, "own_memberships": own})
