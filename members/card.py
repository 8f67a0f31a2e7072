"""Context builders for the member card's own panels (R-MEM-4)."""

from django.utils.translation import gettext as _

from members.models import ClubRole, GroupMember, Membership, PersonAccessLog, User
from members.permissions import visible_memberships


def memberships_context(request, membership: Membership) -> dict:
    return {"membership": membership}


def groups_context(request, membership: Membership) -> dict:
    links = (
        GroupMember.objects.filter(club=request.club, membership=membership)
        .select_related("group")
        .order_by("group__name")
    )
    return {"links": links}


def family_context(request, membership: Membership) -> dict:
    """Guardians and children, linked only where they are members this user may see."""
    person = membership.person
    visible = visible_memberships(request.club_access)
    related = list(person.guardians.all()) + list(person.children.all())
    in_club = {m.person_id: m for m in visible.filter(person__in=related).select_related("person")}
    guardians = [(g, in_club.get(g.pk)) for g in person.guardians.all()]
    children = [(c, in_club.get(c.pk)) for c in person.children.all()]
    return {"guardians": guardians, "children": children}


def history_context(request, membership: Membership) -> dict:
    """Who changed what and when (R-SEC-5), newest first. The registry is shared: a
    change made from another club shows no name, only that it happened."""
    club = request.club
    club_users = set(ClubRole.objects.filter(club=club).values_list("user_id", flat=True))
    # The member and their guardians (changes made on Min side) are named as well.
    family = [membership.person_id, *membership.person.guardians.values_list("pk", flat=True)]
    club_users |= set(User.objects.filter(person__in=family).values_list("pk", flat=True))
    entries = []
    for record in membership.history.select_related("history_user")[:50]:
        entries.append(_entry(record, club_users, _("Membership")))
    for record in membership.person.history.select_related("history_user")[:50]:
        entries.append(_entry(record, club_users, _("Person")))
    for log in PersonAccessLog.objects.filter(person=membership.person, club=club).select_related(
        "user"
    )[:50]:
        entries.append(
            {
                "when": log.accessed_at,
                "who": log.user.email if log.user else _("unknown"),
                "what": _("Person"),
                "changes": [_("National id number shown in clear")],
            }
        )
    entries.sort(key=lambda e: e["when"], reverse=True)
    return {"entries": entries[:100]}


def _entry(record, club_users: set[int], what: str) -> dict:
    user = record.history_user
    if user is None:
        who = _("system")
    elif user.pk in club_users:
        who = user.email
    else:
        who = _("another club or an operator")
    changes = []
    if record.history_type == "+":
        changes.append(_("Created"))
    elif record.history_type == "-":
        changes.append(_("Deleted"))
    else:
        previous = record.prev_record
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = record.instance_type._meta.get_field(change.field)
                if change.field == "national_id_hash":
                    changes.append(_("National id number changed"))
                else:
                    changes.append(
                        f"{field.verbose_name}: {change.old or '–'} → {change.new or '–'}"
                    )
    if record.history_change_reason:
        changes.append(record.history_change_reason)
    return {"when": record.history_date, "who": who, "what": what, "changes": changes}
