"""The composer (R-COM-2, R-COM-3, R-COM-5): whom a message from the club goes to, what it
says for each of them, and the send.

Members are chosen by a *source* — one or more members, a group, or the member
overview's filter — among the members the user may see (``members.permissions``: a group
admin only reaches the members of their own groups). Each member then becomes recipients:

* an adult (18 or older, or without a birth date) gets the message themself;
* a child (under 18 with a guardian) gets it through their guardians: every guardian who
  can be reached on the channel, and **one message per guardian per send** even when the
  guardian has several children in the selection (``{barn}`` names them all, and the
  guardian too when they are among the members themself; for an adult member it is their
  own first name, so that "Trening for {barn}" reads well for everyone);
* a member nobody can be reached for on the channel (no e-mail address, no valid mobile
  number, for a child none of their guardians) is listed as not reachable.

Newsletters leave out persons who opted out (R-COM-5); they are counted, here for the
preview and in ``SendBatch.skipped`` by ``comms.services``. The send itself is
``comms.services.queue_bulk_email`` / ``queue_bulk_sms`` under a per-club hourly limit,
keyed by the form's token so that a double click sends once.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled

from comms.models import Channel, Kind, SendBatch
from comms.rendering import absolute_url
from comms.services import (
    MERGE_FIELD,
    CommsError,
    Recipient,
    merge,
    normalise_number,
    queue_bulk_email,
    queue_bulk_sms,
)
from comms.sms import segments
from members.filters import MemberFilter
from members.models import Club, Person
from members.permissions import ClubAccess, visible_groups, visible_memberships

ADULT_AGE = 18
KEY_PREFIX = "composer"

# The merge fields a club can use (R-COM-3), with what they become for each recipient.
MERGE_FIELDS = {
    "fornavn": gettext_lazy("the recipient's first name"),
    "etternavn": gettext_lazy("the recipient's last name"),
    "klubb": gettext_lazy("the club's name"),
    "lenke": gettext_lazy("the link to Min side"),
    "barn": gettext_lazy(
        "the first names of the members the message is about: a guardian's children "
        "(“Ola og Kari”), or the member themself"
    ),
}


class RateLimited(CommsError):
    """The club has used up its sends for this hour."""


# --- Merge fields -----------------------------------------------------------------------


def unknown_merge_fields(*texts: str) -> list[str]:
    """The ``{names}`` in ``texts`` that are not merge fields, in order of appearance."""
    found: list[str] = []
    for text in texts:
        for name in MERGE_FIELD.findall(text or ""):
            if name not in MERGE_FIELDS and name not in found:
                found.append(name)
    return found


def check_merge_fields(*texts: str) -> None:
    """Refuse unknown merge fields, naming them and the ones that exist."""
    unknown = unknown_merge_fields(*texts)
    if unknown:
        raise ValidationError(
            _("Unknown merge fields: %(unknown)s. You can use %(known)s.")
            % {
                "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                "known": ", ".join(f"{{{name}}}" for name in MERGE_FIELDS),
            },
            code="unknown_merge_field",
        )


def join_names(names: Iterable[str]) -> str:
    """``Ola``, ``Ola og Kari``, ``Ola, Per og Kari`` (in the site's language: messages
    are written in Norwegian whoever sends them)."""
    names = list(names)
    if len(names) < 2:
        return "".join(names)
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


# --- Sources ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The members a message is for, as the user chose them. ``params`` are the query
    parameters that choose them again (the compose and send forms carry them)."""

    kind: str  # "members", "group" or "filter"
    memberships: object  # a QuerySet of Membership
    label: str
    params: tuple[tuple[str, str], ...]
    back_url: str

    @property
    def query(self) -> str:
        data = QueryDict(mutable=True)
        for name, value in self.params:
            data.appendlist(name, value)
        return data.urlencode()


DEFAULT_FILTER = "status=active"


def source_from(access: ClubAccess, data) -> Source:
    """The source named by request parameters: ``member`` (one or more membership ids),
    ``group`` (a group id) or ``filter`` (the member overview's query string; without any
    of them, the club's active members). Ids the user may not see are a 404, an invalid
    filter a ``ValidationError``."""
    club = access.club
    visible = visible_memberships(access)
    member_ids = data.getlist("member")
    if member_ids:
        ids = {_int(value) for value in member_ids}
        memberships = visible.filter(pk__in=ids)
        found = list(memberships.select_related("person").order_by("pk"))
        if len(found) != len(ids):
            raise Http404
        if len(found) == 1:
            label = found[0].person.full_name
            back = reverse("members:card", args=[club.slug, found[0].pk])
        else:
            label = _("%(n)d selected members") % {"n": len(found)}
            back = reverse("members:list", args=[club.slug])
        params = tuple(("member", str(m.pk)) for m in found)
        return Source("members", memberships, label, params, back)
    if data.get("group"):
        group = visible_groups(access).filter(pk=_int(data["group"])).first()
        if group is None:
            raise Http404
        memberships = visible.filter(group_links__group=group)
        label = _("the group %(group)s") % {"group": group.name}
        back = reverse("members:group", args=[club.slug, group.pk])
        return Source("group", memberships, label, (("group", str(group.pk)),), back)
    query = data.get("filter", DEFAULT_FILTER)
    member_filter = MemberFilter(QueryDict(query) or None, queryset=visible, access=access)
    if member_filter.is_bound and not member_filter.form.is_valid():
        raise ValidationError(
            _("The member filter is not valid: %(errors)s")
            % {"errors": " ".join(e for errs in member_filter.form.errors.values() for e in errs)}
        )
    if query == DEFAULT_FILTER:
        label = _("all active members")
    else:
        label = _("the members shown by the overview's filter")
    back = reverse("members:list", args=[club.slug]) + (f"?{query}" if query else "")
    return Source("filter", member_filter.qs, label, (("filter", query),), back)


def compose_url(club: Club, **params) -> str:
    """The composer for a source: ``member=<membership id>``, ``group=<group id>`` or
    ``filter=<the overview's query string>``."""
    url = reverse("composer:compose", args=[club.slug])
    return f"{url}?{urlencode(params)}" if params else url


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


# --- Recipients -------------------------------------------------------------------------


@dataclass
class Unreachable:
    """A member the message cannot reach on the channel, and why."""

    membership_id: int
    name: str
    reason: str


@dataclass
class Resolution:
    """The recipients of one message: ``recipients`` get it (opted-out persons are in
    ``opted_out`` instead), ``unreachable`` lists the members it cannot reach."""

    channel: str
    kind: str
    members: int = 0
    recipients: list[Recipient] = field(default_factory=list)
    opted_out: list[Recipient] = field(default_factory=list)
    unreachable: list[Unreachable] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # person id → full name

    @property
    def everyone(self) -> list[Recipient]:
        """Whom the send is queued for: comms leaves the opted-out out and counts them."""
        return self.recipients + self.opted_out

    def first(self) -> Recipient | None:
        return self.recipients[0] if self.recipients else None


# What is read of each person; the mobile number as text (``mobile_text``): no parsing.
_PERSON = ("first_name", "last_name", "birth_date", "email", "newsletter_opt_out_at")


def resolve(club: Club, memberships, *, channel: str, kind: str, today: date | None = None):
    """Who gets the message (see the module's docstring). A handful of queries whatever
    the number of members; recipients in order of last and first name."""
    today = today or timezone.localdate()
    out = Resolution(channel=channel, kind=kind)
    # person id → (membership id, first, last, birth date, e-mail, opted out at, mobile)
    members: dict[int, tuple] = {}
    for pk, person_id, *values in (
        memberships.order_by()
        .annotate(mobile_text=Cast("person__mobile", CharField()))
        .values_list("pk", "person_id", *(f"person__{c}" for c in _PERSON), "mobile_text")
    ):
        members.setdefault(person_id, (pk, *values))
    out.members = len(members)

    children = {
        pid for pid, m in members.items() if m[3] is not None and _age(m[3], today) < ADULT_AGE
    }
    links = Person.guardians.through.objects.filter(
        from_person_id__in=memberships.order_by().values("person_id")
    ).values_list("from_person_id", "to_person_id")
    guardians_of: dict[int, list[int]] = {}
    for child_id, guardian_id in links:
        if child_id in children and guardian_id != child_id:
            guardians_of.setdefault(child_id, []).append(guardian_id)
    guardian_rows = {
        pk: values
        for pk, *values in Person.objects.filter(
            pk__in=Person.guardians.through.objects.filter(
                from_person_id__in=memberships.order_by().values("person_id")
            ).values("to_person_id")
        )
        .annotate(mobile_text=Cast("mobile", CharField()))
        .values_list("pk", *_PERSON, "mobile_text")
    }

    # recipient's person id → address, names, opted out at, and the members it is about
    chosen: dict[int, dict] = {}
    for person_id, (membership_id, first, last, _birth, email, opt, mobile_text) in sorted(
        members.items(), key=lambda item: _name_key(item[1][2], item[1][1])
    ):
        out.names[person_id] = f"{first} {last}"
        if person_id in guardians_of:
            reached = False
            for guardian_id in guardians_of[person_id]:
                g_first, g_last, _b, g_email, g_opt, g_mobile = guardian_rows[guardian_id]
                to = _address(channel, g_email, g_mobile)
                if not to:
                    continue
                reached = True
                entry = chosen.setdefault(
                    guardian_id,
                    {"to": to, "first": g_first, "last": g_last, "opt": g_opt, "about": []},
                )
                entry["about"].append((person_id, first))
                out.names[guardian_id] = f"{g_first} {g_last}"
            if not reached:
                out.unreachable.append(
                    Unreachable(
                        membership_id,
                        f"{first} {last}",
                        _("none of the guardians has an e-mail address")
                        if channel == Channel.EMAIL
                        else _("none of the guardians has a valid mobile number"),
                    )
                )
            continue
        to = _address(channel, email, mobile_text)
        if not to:
            out.unreachable.append(
                Unreachable(membership_id, f"{first} {last}", _no_address(channel, mobile_text))
            )
            continue
        entry = chosen.setdefault(
            person_id, {"to": to, "first": first, "last": last, "opt": opt, "about": []}
        )
        entry["about"].append((person_id, first))

    link = absolute_url(reverse("minside:index"))
    for person_id, entry in sorted(
        chosen.items(), key=lambda item: _name_key(item[1]["last"], item[1]["first"])
    ):
        about = entry["about"]
        children = [pid for pid, _first in about if pid != person_id]
        recipient = Recipient(
            person_id=person_id,
            to=entry["to"],
            about_person_id=children[0] if children else None,
            fields={
                "fornavn": entry["first"],
                "etternavn": entry["last"],
                "klubb": club.name,
                "lenke": link,
                "barn": join_names(name for _pid, name in about),
            },
            key=str(person_id),
        )
        is_out = kind == Kind.NEWSLETTER and entry["opt"] is not None
        (out.opted_out if is_out else out.recipients).append(recipient)
    return out


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


# Norwegian order, as the overview sorts: æ, ø, å after z, and "aa" as å (DOMAIN.md §11).
_NORWEGIAN_ORDER = str.maketrans({"æ": "{", "ø": "|", "å": "}"})


def _name_key(last: str, first: str) -> tuple[str, ...]:
    return tuple(
        name.casefold().replace("aa", "å").translate(_NORWEGIAN_ORDER) for name in (last, first)
    )


def _address(channel: str, email: str, mobile: str) -> str:
    if channel == Channel.EMAIL:
        return (email or "").strip()
    if not mobile:
        return ""
    try:
        return normalise_number(mobile)
    except CommsError:
        return ""


def _no_address(channel: str, mobile: str) -> str:
    if channel == Channel.EMAIL:
        return _("no e-mail address")
    if mobile:
        return _("the mobile number %(number)s is not valid") % {"number": mobile}
    return _("no mobile number")


# --- Preview ----------------------------------------------------------------------------


@dataclass
class Example:
    """The message as one recipient will read it."""

    name: str
    children: str  # for a guardian: the children it is about ("Ola og Per"), else ""
    subject: str
    text: str
    sms: segments.Segments | None = None


@dataclass
class Preview:
    """What the preview step shows: the counts, and the message as its first recipient
    will read it (and as the first guardian will, when the first is not one).
    ``sms_total`` adds up the parts of every merged SMS; ``too_long`` counts the merged
    SMS over 800 characters."""

    resolution: Resolution
    examples: list[Example] = field(default_factory=list)
    sms_total: int = 0
    too_long: int = 0


def preview(resolution: Resolution, *, subject: str, text: str) -> Preview:
    out = Preview(resolution)
    shown = resolution.recipients[:1]
    if shown and shown[0].about_person_id is None:
        guardian = next((r for r in resolution.recipients if r.about_person_id), None)
        if guardian is not None:
            shown.append(guardian)
    for recipient in shown:
        merged = merge(text, recipient.fields)
        out.examples.append(
            Example(
                name=resolution.names.get(recipient.person_id, ""),
                children=recipient.fields["barn"] if recipient.about_person_id else "",
                subject=merge(subject, recipient.fields),
                text=merged,
                sms=segments.count(merged) if resolution.channel == Channel.SMS else None,
            )
        )
    if resolution.channel == Channel.SMS:
        for recipient in resolution.recipients:
            counted = segments.count(merge(text, recipient.fields))
            out.sms_total += counted.parts
            if counted.chars > segments.MAX_CHARS:
                out.too_long += 1
    return out


# --- Sending ----------------------------------------------------------------------------


def send_key(club: Club, token: str) -> str:
    """The idempotency key of one composed message: the form's token, within the club."""
    return f"{KEY_PREFIX}:{club.pk}:{token}"


def find_send(club: Club, token: str) -> SendBatch | None:
    with scopes_disabled():
        return SendBatch.objects.filter(club=club, key=send_key(club, token)).first()


def sends_in_last_hour(club: Club, now=None) -> list:
    """Start times of the club's composer sends in the hour before ``now``, oldest first."""
    now = now or timezone.now()
    with scopes_disabled():
        return list(
            SendBatch.objects.filter(
                club=club,
                key__startswith=f"{KEY_PREFIX}:{club.pk}:",
                created_at__gt=now - timedelta(hours=1),
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)
        )


def check_rate_limit(club: Club, now=None) -> None:
    """R-COM-4: at most ``COMMS_COMPOSER_SENDS_PER_HOUR`` composer sends per club and hour."""
    now = now or timezone.now()
    limit = settings.COMMS_COMPOSER_SENDS_PER_HOUR
    recent = sends_in_last_hour(club, now)
    if len(recent) >= limit:
        again = timezone.localtime(recent[len(recent) - limit] + timedelta(hours=1))
        raise RateLimited(
            _(
                "%(club)s has started %(n)d sends in the last hour, the most allowed. "
                "You can send again at %(time)s."
            )
            % {"club": club.name, "n": len(recent), "time": formats.time_format(again, "H:i")}
        )


def send(
    club: Club,
    resolution: Resolution,
    *,
    token: str,
    subject: str,
    text: str,
    user=None,
) -> tuple[SendBatch, bool]:
    """Queue the message for every recipient; ``(batch, True)`` for a new send,
    ``(batch, False)`` when this token was sent already (a double click, a reload).
    Raises ``RateLimited`` or ``CommsError`` (an SMS too long once merged); nothing is
    queued then. The sends start after the caller's commit (a Celery task)."""
    key = send_key(club, token)
    if not resolution.recipients and find_send(club, token) is None:
        raise CommsError(_("Nobody can be reached with this message."))
    with transaction.atomic():
        # One composer send at a time per club: the count and the insert agree.
        Club.objects.select_for_update().filter(pk=club.pk).first()
        existing = find_send(club, token)
        if existing is not None:
            return existing, False
        check_rate_limit(club)
        common = {
            "club": club,
            "recipients": resolution.everyone,
            "key": key,
            "kind": resolution.kind,
            "created_by": user,
        }
        if resolution.channel == Channel.EMAIL:
            batch = queue_bulk_email(subject=subject, body_text=text, **common)
        else:
            batch = queue_bulk_sms(text=text, **common)
    return batch, True
