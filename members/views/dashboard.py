from datetime import timedelta

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone

from members.models import Membership
from members.permissions import visible_groups, visible_memberships


def dashboard(request, club_slug):
    access = request.club_access
    memberships = visible_memberships(access)
    by_status = dict(memberships.values_list("status").annotate(n=Count("id")).order_by())
    since = timezone.localdate() - timedelta(days=30)
    context = {
        "total": sum(by_status.values()),
        "active": by_status.get(Membership.Status.ACTIVE, 0),
        "pending": by_status.get(Membership.Status.PENDING, 0)
        + by_status.get(Membership.Status.AWAITING_VERIFICATION, 0),
        "for_approval": by_status.get(Membership.Status.SENT_FOR_APPROVAL, 0),
        "new_30": memberships.filter(started_on__gte=since).count(),
        "groups": visible_groups(access).annotate(n=Count("members")).order_by("name"),
    }
    return render(request, "members/dashboard.html", context)
