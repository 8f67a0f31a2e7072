from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from members.forms import ClubSettingsForm
from members.permissions import require_club_admin


@require_club_admin
def club_settings(request, club_slug):
    """Club settings (SPEC §9) as far as they exist now."""
    form = ClubSettingsForm(request.POST or None, request.FILES or None, instance=request.club)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The settings are saved."))
        return redirect("members:settings", club_slug=club_slug)
    return render(request, "members/club_settings.html", {"form": form})
