"""Club scope: the tenant wall (DESIGN.md §Tenancy).

For every URL with a ``club_slug`` the middleware loads the club, asks
``members.permissions`` whether the user has a role there, and only then activates the
django-scopes scope for that club around the whole request (rendering included). Any
query on a club model outside an active scope raises ``ScopeError``.
"""

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django_scopes import scope

from members import permissions
from members.models import Club


class ClubScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        slug = match.kwargs.get("club_slug")
        if slug is None:
            return self.get_response(request)

        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        club = Club.objects.filter(slug=slug).first()
        if club is None:
            raise Http404
        access = permissions.club_access(request.user, club)
        if access is None:
            raise PermissionDenied
        if access.is_admin and club.require_admin_2fa and not _has_totp(request.user):
            messages.warning(
                request,
                _("%(club)s requires two-factor login for club admins.") % {"club": club.name},
            )
            return redirect("mfa_activate_totp")

        request.club = club
        request.club_access = access
        with scope(club=club):
            return self.get_response(request)


def _has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
