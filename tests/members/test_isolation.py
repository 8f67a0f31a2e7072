"""The tenant wall (R-SEC-1), tried on every URL under /club/<slug>/.

The URL patterns are enumerated from Django's resolver, so a new club URL is covered
the moment it is added. Object ids in patterns are named ``<kind>_id``; OBJECT_IDS says
which of demo-a's objects to try for each kind, and a pattern with a kwarg nobody
knows fails the test until it is added here.
"""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_scopes import ScopeError, scopes_disabled

from billing import avtalegiro
from billing import services as billing_services
from billing.models import (
    Agreement,
    AvtaleGiroMandate,
    ClaimFile,
    CreditNote,
    Fee,
    Invoice,
    Payment,
    PaymentFile,
    PriceRule,
)
from comms.models import SendBatch
from invitations.models import Invitation
from members.models import Group, GroupMember, Membership
from migration.models import ImportBatch, ImportRow

pytestmark = pytest.mark.django_db


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + str(p.pattern), f"{namespace}{p.name}", p


def club_url_names() -> list[tuple[str, str]]:
    return [
        (route, name)
        for route, name, _p in _walk(get_resolver().url_patterns)
        if "<slug:club_slug>" in route
    ]


def _kwarg_names(name: str) -> set[str]:
    resolver = get_resolver()
    possibilities = resolver.reverse_dict.getlist(name.split(":")[-1])
    ns_resolver = resolver
    for ns in name.split(":")[:-1]:
        ns_resolver = ns_resolver.namespace_dict[ns][1]
    possibilities = ns_resolver.reverse_dict.getlist(name.split(":")[-1])
    return set(possibilities[0][0][0][1]) if possibilities else set()


def objects_of(club) -> dict[str, object]:
    """One object of each kind that club URLs name, all belonging to ``club``."""
    with scopes_disabled():
        membership = Membership.objects.filter(club=club).order_by("pk").first()
        group = Group.objects.filter(club=club).order_by("pk").first()
        batch = ImportBatch.objects.filter(club=club).first() or ImportBatch.objects.create(
            club=club, name="members.csv", status=ImportBatch.Status.DONE
        )
        row = batch.rows.first() or ImportRow.objects.create(
            club=club,
            batch=batch,
            row_number=1,
            outcome=ImportRow.Outcome.REVIEW,
            values={"first_name": "Review", "last_name": "Row"},
            candidates=[membership.person_id],
        )
        send = SendBatch.objects.filter(club=club).first() or SendBatch.objects.create(
            club=club, key=f"isolation:{club.pk}", channel="email", kind="transactional"
        )
        invitation = Invitation.objects.filter(club=club).first() or Invitation.objects.create(
            club=club,
            email="isolation@example.no",
            code_hash=f"isolation-{club.pk}",
            key=f"isolation:{club.pk}",
            expires_at=timezone.now() + timedelta(days=7),
        )
        billing = billing_objects_of(club, membership)
    return {
        **billing,
        "invitation_id": invitation.pk,
        "membership_id": membership.pk,
        "group_id": group.pk,
        "batch_id": batch.pk,
        "row_id": row.pk,
        "send_id": send.pk,
        "fmt": "csv",
    }


def billing_objects_of(club, membership) -> dict[str, int]:
    """A fee with a price rule, an agreement, an invoice run with an invoice and a credit
    note of ``club``: the demo's, or made here when the demo has none."""
    today = timezone.localdate()
    fee = Fee.objects.filter(club=club).order_by("pk").first() or Fee.objects.create(
        club=club, name="Isolasjon", kind=Fee.Kind.PRODUCT, price=100, period="once"
    )
    rule = PriceRule.objects.filter(club=club).first() or PriceRule.objects.create(
        club=club, fee=fee, kind=PriceRule.Kind.AGE_BAND, max_age=12, amount=50
    )
    agreement = Agreement.objects.filter(club=club).order_by("pk").first()
    if agreement is None:
        agreement = billing_services.create_agreement(
            membership, fee, source="admin", next_billing_date=today
        )
    invoice = Invoice.objects.filter(club=club, run__isnull=False).order_by("pk").first()
    if invoice is None:
        billing_services.run_invoices(club, today)
        invoice = Invoice.objects.filter(club=club).order_by("pk").first()
    note = CreditNote.objects.filter(club=club).first() or billing_services.credit_invoice(
        invoice, amount=1
    )
    for_post = Invoice.objects.filter(club=club, recipient_email="", sent_at__isnull=True)
    if not for_post.filter(status__in=["issued", "partly_credited"]).exists():
        # one open invoice goes by post, so that the merged PDF has a page
        open_one = Invoice.objects.filter(club=club, status="issued").order_by("pk")[:1]
        Invoice.objects.filter(pk__in=open_one).update(recipient_email="", sent_at=None)
    # an OCR file with one payment that matched nothing (the payments pages, issue 8)
    ocr_file = PaymentFile.objects.filter(club=club).first() or PaymentFile.objects.create(
        club=club, name="isolation.txt", sha256=f"isolation-{club.pk}"
    )
    payment = Payment.objects.filter(club=club, invoice=None).first() or Payment.objects.create(
        club=club, paid_on=today, amount=1, method="ocr", payment_file=ocr_file
    )
    # an AvtaleGiro agreement and a claim file (the AvtaleGiro pages, issue 8)
    mandate = AvtaleGiroMandate.objects.filter(club=club).first()
    if mandate is None:
        mandate, _made = avtalegiro.register_mandate(club, membership.person, source="admin")
    claim_file = ClaimFile.objects.filter(club=club).first()
    if claim_file is None:
        claim_file = ClaimFile(club=club, run_date=today, transmission_number="0000001")
        claim_file.file.save("isolation.txt", ContentFile(b""))
    return {
        "mandate_id": mandate.pk,
        "claim_file_id": claim_file.pk,
        "payment_file_id": ocr_file.pk,
        "payment_id": payment.pk,
        "fee_id": fee.pk,
        "rule_id": rule.pk,
        "agreement_id": agreement.pk,
        "invoice_id": invoice.pk,
        "credit_note_id": note.pk,
        "run_id": invoice.run_id,
    }


def build(name: str, slug: str, objects: dict) -> str:
    kwargs = {"club_slug": slug}
    for kwarg in _kwarg_names(name) - {"club_slug"}:
        assert kwarg in objects, f"{name}: teach the isolation test about <{kwarg}>"
        kwargs[kwarg] = objects[kwarg]
    return reverse(name, kwargs=kwargs)


def test_enumeration_finds_the_club_pages():
    names = {name for _route, name in club_url_names()}
    assert {"members:list", "members:card", "members:settings", "members:export"} <= names
    assert len(names) >= 10


@pytest.mark.parametrize("route,name", club_url_names())
def test_other_club_admin_gets_no_data_with_foreign_slug(client, demo, route, name):
    url = build(name, demo["a"].slug, objects_of(demo["a"]))
    client.force_login(demo["admin_b"])
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code in (403, 404), f"{method.__name__} {url}"
        assert demo["a"].name.encode() not in response.content


@pytest.mark.parametrize("route,name", [r for r in club_url_names() if "_id>" in r[0]])
def test_other_club_admin_gets_404_for_foreign_object_ids(client, demo, route, name):
    url = build(name, demo["b"].slug, objects_of(demo["a"]))
    client.force_login(demo["admin_b"])
    # A POST-only action answers GET with 405 before looking anything up: no data either.
    assert client.get(url).status_code in (403, 404, 405), url
    response = client.post(url)
    assert response.status_code in (403, 404), url


@pytest.mark.parametrize("route,name", club_url_names())
def test_anonymous_is_sent_to_login(client, demo, route, name):
    url = build(name, demo["a"].slug, objects_of(demo["a"]))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("route,name", club_url_names())
def test_own_admin_reaches_every_page(client, demo, route, name):
    """The positive control: the URLs built above are real pages for the right user."""
    url = build(name, demo["a"].slug, objects_of(demo["a"]))
    client.force_login(demo["admin_a"])
    response = client.get(url)
    assert response.status_code in (200, 204, 405), url  # 204: a finished poll; 405: POST-only


def test_a_member_without_a_role_gets_403(client, demo, django_user_model):
    user = django_user_model.objects.create_user("plain@example.no", "x")
    client.force_login(user)
    assert client.get(reverse("members:list", args=["demo-a"])).status_code == 403


def test_unknown_club_is_404(client, demo):
    client.force_login(demo["admin_a"])
    assert client.get("/club/no-such-club/members/").status_code == 404


def test_unscoped_query_on_club_model_raises(demo):
    for model in (Membership, Group, GroupMember):
        with pytest.raises(ScopeError):
            list(model.objects.all())


BILLING_NAMESPACES = ("billing:", "avtalegiro:", "ocr:", "reminders:", "accounting:")


@pytest.mark.parametrize(
    "route,name", [r for r in club_url_names() if r[1].startswith(BILLING_NAMESPACES)]
)
def test_group_admin_sees_no_billing(client, demo, route, name):
    """Billing is the club admin's: a group admin gets 403 on every billing page."""
    url = build(name, demo["a"].slug, objects_of(demo["a"]))
    client.force_login(demo["coach_a"])
    assert client.get(url).status_code in (403, 405), url
    assert client.post(url).status_code == 403, url


class TestGroupAdmin:
    """R-GRP-2: a group admin sees only the members of their groups."""

    def test_sees_only_own_group_members(self, client, demo):
        coach = demo["coach_a"]
        with scopes_disabled():
            own_group = Group.objects.get(roles__user=coach)
            in_group = set(
                GroupMember.objects.filter(group=own_group).values_list("membership_id", flat=True)
            )
            outsider = Membership.objects.filter(club=demo["a"]).exclude(pk__in=in_group).first()
            other_group = Group.objects.filter(club=demo["a"]).exclude(pk=own_group.pk).first()
        client.force_login(coach)
        listing = client.get(reverse("members:list", args=["demo-a"]))
        shown = {m.pk for m in listing.context["page"].object_list}
        assert shown == in_group
        card = reverse("members:card", args=["demo-a", outsider.pk])
        assert client.get(card).status_code == 404
        assert (
            client.get(reverse("members:group", args=["demo-a", other_group.pk])).status_code == 404
        )
        assert (
            client.get(reverse("members:group", args=["demo-a", own_group.pk])).status_code == 200
        )

    @pytest.mark.parametrize("name", ["members:settings", "members:create"])
    def test_admin_pages_are_forbidden(self, client, demo, name):
        client.force_login(demo["coach_a"])
        assert client.get(reverse(name, args=["demo-a"])).status_code == 403

    def test_cannot_reveal_national_id(self, client, demo):
        client.force_login(demo["coach_a"])
        with scopes_disabled():
            link = GroupMember.objects.filter(group__roles__user=demo["coach_a"]).first()
        url = reverse("members:reveal_national_id", args=["demo-a", link.membership_id])
        assert client.post(url).status_code == 403

    def test_export_holds_only_own_group(self, client, demo):
        client.force_login(demo["coach_a"])
        response = client.get(reverse("members:export", args=["demo-a", "csv"]))
        lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
        with scopes_disabled():
            expected = GroupMember.objects.filter(group__roles__user=demo["coach_a"]).count()
        assert len(lines) - 1 == expected


def test_admin_of_both_clubs_sees_each_through_its_own_slug(client, demo):
    client.force_login(demo["admin_ab"])
    assert client.get(reverse("members:list", args=["demo-a"])).status_code == 200
    assert client.get(reverse("members:list", args=["demo-b"])).status_code == 200
    with scopes_disabled():
        a_member = Membership.objects.filter(club=demo["a"]).first()
    # demo-a's membership id under demo-b's slug is not found.
    assert client.get(reverse("members:card", args=["demo-b", a_member.pk])).status_code == 404
