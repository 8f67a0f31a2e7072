from django.db.models import Count
from django.shortcuts import get_object_or_404, render

from members.actions import page_actions
from members.models import GroupMember
from members.permissions import visible_groups


def group_list(request, club_slug):
    groups = visible_groups(request.club_access).annotate(n=Count("members")).order_by("name")
    return render(request, "members/group_list.html", {"groups": groups})


def group_detail(request, club_slug, group_id):
    """A group and its members; a group admin sees only their own groups (R-GRP-2)."""
    group = get_object_or_404(visible_groups(request.club_access), pk=group_id)
    links = (
        GroupMember.objects.filter(group=group)
        .select_related("membership__person", "membership__category")
        .order_by("membership__person__last_name_key", "membership__person__first_name_key")
    )
    actions = page_actions(request, "group", group)
    return render(
        request, "members/group_detail.html", {"group": group, "links": links, "actions": actions}
    )
