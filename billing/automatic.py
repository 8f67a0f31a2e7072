"""Agreements that follow the members (R-BIL-2), called by ``billing.receivers`` when
members' signals say what happened:

* a membership became active → its category's membership fee, and the fees of the
  groups it is in. A migrated membership keeps the old system's next billing date for
  these (R-MIG-7); other agreements start on the club's next billing day. A membership
  that had agreements before (cancelled, then active again) starts anew.
* a member joined a group with a fee (their membership active) → that group's fees.
* a fee was made or turned on → agreements for the active members it applies to (after
  an import, the fees are usually made once the members are there).
* a membership ended → its live agreements end on that day; a member left a group →
  that group's fees end (a training fee of the sport only when no other group of that
  sport is left). Periods already billed stay billed.

Each function takes ids, so an import chunk of 2,000 memberships costs a handful of
queries. Idempotent: the database allows one live agreement per fee and person
(``agreement_one_live_per_fee_person``); rows are inserted with ``ON CONFLICT DO
NOTHING``, so a repeated signal, or two at once, finds the first agreement.

The import rollback asks here whether a batch's persons were billed
(``rollback_check``) and removes their agreements that never billed anything
(``remove_uncharged``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from billing import services
from billing.avtalegiro import importing as avtalegiro_importing
from billing.models import Agreement, Fee, Invoice
from members.models import Club, GroupMember, Membership

ACTIVE = Membership.Status.ACTIVE


class _Fees:
    """The club's fees per category and per group, read once per call."""

    def __init__(self, club: Club):
        self.club = club
        self.by_category: dict[int, Fee | None] = {}
        self.by_group: dict[int, list[Fee]] = {}

    def membership(self, category_id: int | None) -> Fee | None:
        if not category_id:
            return None
        if category_id not in self.by_category:
            self.by_category[category_id] = services.membership_fee(self.club, category_id)
        return self.by_category[category_id]

    def group(self, group) -> list[Fee]:
        if group.pk not in self.by_group:
            self.by_group[group.pk] = services.group_fees(group)
        return self.by_group[group.pk]


def _has_fees(club: Club) -> bool:
    return Fee.objects.filter(club=club, is_active=True).exists()


def _memberships(club: Club, ids: Iterable[int]):
    """Active memberships with what pricing the payer and the fees needs, loaded at once."""
    return (
        Membership.objects.filter(club=club, pk__in=list(ids), status=ACTIVE)
        .select_related("club", "person", "household__payer")
        .prefetch_related(
            "person__guardians",
            Prefetch("group_links", queryset=GroupMember.objects.select_related("group")),
        )
    )


def on_activated(club: Club, membership_ids: Iterable[int]) -> int:
    """Agreements for memberships that became active. Returns how many were new."""
    with scope(club=club):
        if not _has_fees(club):  # a club fresh from migration: nothing to look up
            return 0
        memberships = list(_memberships(club, membership_ids))
        if not memberships:
            return 0
        started_before = set(
            Agreement.objects.filter(membership__in=memberships).values_list(
                "membership_id", flat=True
            )
        )
        fees, drafts = _Fees(club), []
        for m in memberships:
            payer = services.payer_for(m)
            start = None if m.pk in started_before else m.next_billing_date
            if fee := fees.membership(m.category_id):
                source = services.membership_agreement_source(m)
                drafts.append(
                    services.new_agreement(
                        m, fee, source=source, next_billing_date=start, payer=payer
                    )
                )
            for link in m.group_links.all():
                drafts.extend(
                    services.new_agreement(
                        m, fee, source=Agreement.Source.GROUP, next_billing_date=start, payer=payer
                    )
                    for fee in fees.group(link.group)
                )
        return _insert(club, drafts)


def on_joined(club: Club, link_ids: Iterable[int]) -> int:
    """Agreements for new group places of active members. Returns how many were new."""
    with scope(club=club):
        if not _has_fees(club):
            return 0
        links = list(
            GroupMember.objects.filter(club=club, pk__in=list(link_ids), membership__status=ACTIVE)
            .select_related(
                "group", "membership__club", "membership__person", "membership__household__payer"
            )
            .prefetch_related("membership__person__guardians")
        )
        fees, drafts = _Fees(club), []
        for link in links:
            m = link.membership
            payer = services.payer_for(m) if fees.group(link.group) else None
            drafts.extend(
                services.new_agreement(m, fee, source=Agreement.Source.GROUP, payer=payer)
                for fee in fees.group(link.group)
            )
        return _insert(club, drafts)


def on_fee(fee: Fee) -> int:
    """A fee made or turned on: agreements for the active members it applies to who never
    had one for it (a member who cancelled it keeps that). A membership fee applies only
    if it is its category's fee in use. A migrated membership's next billing date is kept
    when it is still ahead; otherwise billing starts on the club's billing day. Returns
    how many were new."""
    club = fee.club
    if not fee.is_active or fee.kind == Fee.Kind.PRODUCT:
        return 0
    with scope(club=club):
        memberships = Membership.objects.filter(club=club, status=ACTIVE)
        if fee.kind == Fee.Kind.MEMBERSHIP:
            if services.membership_fee(club, fee.category_id) != fee:
                return 0
            memberships = memberships.filter(category_id=fee.category_id)
            source = None
        else:
            groups = Q(group_links__group_id=fee.group_id) if fee.group_id else Q()
            if fee.sport and not fee.group_id:
                groups = Q(group_links__group__sport=fee.sport)
            memberships = memberships.filter(groups)
            source = Agreement.Source.GROUP
        had = Agreement.objects.filter(fee=fee).values("person_id")
        memberships = (
            memberships.exclude(person_id__in=had)
            .distinct()
            .select_related("club", "person", "household__payer")
            .prefetch_related("person__guardians")
        )
        today = timezone.localdate()
        drafts = [
            services.new_agreement(
                m,
                fee,
                source=source or services.membership_agreement_source(m),
                next_billing_date=m.next_billing_date
                if m.next_billing_date and m.next_billing_date >= today
                else None,
            )
            for m in memberships
        ]
        return _insert(club, drafts)


def _insert(club: Club, drafts: list[Agreement]) -> int:
    unique = list({(a.fee_id, a.person_id): a for a in drafts}.values())
    if not unique:
        return 0
    live = Agreement.objects.filter(club=club, cancelled_at__isnull=True)
    before = live.count()
    Agreement.objects.bulk_create(unique, ignore_conflicts=True)
    return live.count() - before


def on_ended(club: Club, membership_ids: Iterable[int], on: date, by=None) -> int:
    """End the live agreements of memberships that ended ``on``. Returns how many."""
    with scope(club=club):
        live = Agreement.objects.filter(
            club=club, membership_id__in=list(membership_ids), cancelled_at__isnull=True
        )
        ended = [services.cancel_agreement(a, by=by, ends_on=on) for a in live]
    return len(ended)


def on_left(club: Club, links: Iterable[tuple[int, int]], on: date, by=None) -> int:
    """End the fees of groups members left (``(group_id, membership_id)`` pairs, their
    rows still there). A training fee of the sport ends only with the sport's last
    group. Returns how many agreements ended."""
    ended = 0
    with scope(club=club):
        for group_id, membership_id in links:
            group = club.groups.get(pk=group_id)
            kept_sports = set(
                GroupMember.objects.filter(club=club, membership_id=membership_id)
                .exclude(group_id=group_id)
                .values_list("group__sport", flat=True)
            )
            fees = [
                fee
                for fee in services.group_fees(group)
                if fee.group_id == group_id or fee.sport not in kept_sports
            ]
            live = Agreement.objects.filter(
                club=club, membership_id=membership_id, fee__in=fees, cancelled_at__isnull=True
            )
            for agreement in live:
                services.cancel_agreement(agreement, by=by, ends_on=on)
                ended += 1
    return ended


# --- the import rollback -------------------------------------------------------------


@dataclass(frozen=True)
class RollbackCheck:
    """What billing holds on a batch's persons and memberships: ``invoices`` made for
    them (to them, or with their lines), and ``paying_for_others``: agreements of other
    members that a person of the batch pays."""

    invoices: int
    paying_for_others: int


def _agreements(person_ids: list[int], membership_ids: list[int]):
    return Agreement.objects.filter(
        Q(membership_id__in=membership_ids) | Q(person_id__in=person_ids)
    )


def rollback_check(person_ids: Iterable[int], membership_ids: Iterable[int]) -> RollbackCheck:
    """Named system code: looks across clubs (a person is one person everywhere)."""
    persons, memberships = list(person_ids), list(membership_ids)
    with scopes_disabled():
        theirs = _agreements(persons, memberships)
        invoices = (
            Invoice.objects.filter(
                Q(recipient_id__in=persons)
                | Q(lines__person_id__in=persons)
                | Q(lines__agreement__in=theirs)
            )
            .values("pk")
            .distinct()
            .count()
        )
        others = Agreement.objects.filter(payer_id__in=persons).exclude(pk__in=theirs).count()
    return RollbackCheck(invoices, others)


def remove_uncharged(person_ids: Iterable[int], membership_ids: Iterable[int]) -> int:
    """Delete the agreements of these persons and memberships that billed nothing (the
    rollback removes the memberships they came from). One that billed something is
    refused by ``rollback_check`` first; the database refuses it too (PROTECT). Their
    migrated AvtaleGiro mandates that claimed nothing go too."""
    person_ids = list(person_ids)
    with scopes_disabled():
        avtalegiro_importing.remove_migrated(person_ids)
        deleted, _by_model = (
            _agreements(person_ids, list(membership_ids)).filter(charges__isnull=True).delete()
        )
    return deleted
