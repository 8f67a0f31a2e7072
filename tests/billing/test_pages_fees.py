"""Fees, price rules and agreements pages (R-BIL-1, R-BIL-2, R-BIL-3), the member card's
billing panels and the navigation entry."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import services
from billing.models import Agreement, Fee, PriceRule
from members.models import Group, MembershipCategory
from members.services import get_or_create_user, grant_group_admin

from .conftest import make_fee, make_member
from .pages import fresh, log_in_admin, make_invoices, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, club):
    log_in_admin(client, club)
    return client


@pytest.fixture
def category(club):
    with scopes_disabled():
        return MembershipCategory.objects.create(club=club, name="Senior")


def fee_form(of_category, **changes) -> dict:
    data = {
        "name": "Kontingent senior",
        "kind": "membership",
        "category": of_category.pk,
        "price": "1 250,00",
        "period": "year",
        "vat_rate": "0",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- fees ----------------------------------------------------------------------------


def test_create_a_fee_with_a_norwegian_amount(admin, club, category):
    response = admin.post(url("fee_create", club), fee_form(category))
    assert response.status_code == 302
    with scopes_disabled():
        fee = Fee.objects.get(club=club, name="Kontingent senior")
    assert (fee.price, fee.kind, fee.category_id) == (Decimal("1250.00"), "membership", category.pk)
    listing = admin.get(url("fees", club)).content.decode()
    assert "Kontingent senior" in listing and "1\xa0250,00 kr" in listing


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"price": "tusen"}, "price", "Write an amount in kroner"),
        ({"price": "-1"}, "price", "cannot be below"),
        ({"price": "10,005"}, "price", "at most two decimals"),
        ({"category": None}, "category", "A membership fee belongs to a category."),
        ({"kind": "class", "category": None}, "group", "A class fee belongs to a group."),
        ({"vat_rate": "120"}, "vat_rate", "less than or equal to 100"),
    ],
)
def test_fee_errors_are_shown_and_nothing_is_saved(admin, club, category, changes, field, message):
    response = admin.post(url("fee_create", club), fee_form(category, **changes))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    with scopes_disabled():
        assert not Fee.objects.filter(club=club).exists()


def test_fee_names_are_unique_in_the_club(admin, club, category):
    make_fee(club, name="Kontingent senior")
    response = admin.post(url("fee_create", club), fee_form(category))
    assert response.status_code == 400
    assert "has a fee with this name already" in response.content.decode()


def test_a_fee_in_use_keeps_its_kind_and_period(admin, club):
    fee = make_fee(club, name="Kontingent")
    make_member(club, "Agnes", fee=fee)
    page = admin.get(url("fee", club, fee.pk))
    assert page.context["form"].fields["kind"].disabled
    data = fee_form(fee.category, name="Kontingent", kind="product", period="once", price="999")
    response = admin.post(url("fee", club, fee.pk), data)
    assert response.status_code == 302
    fee = fresh(fee)
    assert (fee.kind, fee.period, fee.price) == ("membership", "year", Decimal("999.00"))


def test_a_fee_is_taken_out_of_use_not_deleted(admin, club):
    fee = make_fee(club, name="Kontingent")
    membership = make_member(club, "Agnes", fee=fee)
    admin.post(url("fee_active", club, fee.pk), {"active": "0"})
    assert not fresh(fee).is_active
    with scopes_disabled():
        assert Agreement.objects.filter(fee=fee, cancelled_at__isnull=True).count() == 1
    card = admin.get(reverse("billing:agreement_create", args=[club.slug, membership.pk]))
    assert fee not in card.context["form"].fields["fee"].queryset
    admin.post(url("fee_active", club, fee.pk), {"active": "1"})
    assert fresh(fee).is_active


# --- price rules ---------------------------------------------------------------------


def test_price_rules_are_made_edited_and_removed(admin, club):
    fee = make_fee(club, name="Kontingent")
    response = admin.post(
        url("rule_create", club, fee.pk),
        {
            "kind": "age_band",
            "min_age": "6",
            "max_age": "12",
            "age_reference": "period_start",
            "min_position": "2",
            "amount": "500",
            "sort_order": "0",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        rule = PriceRule.objects.get(fee=fee)
    assert (rule.min_age, rule.max_age, rule.amount, rule.club_id) == (
        6,
        12,
        Decimal("500"),
        club.pk,
    )
    assert "age 6–12: 500" in admin.get(url("fee", club, fee.pk)).content.decode()
    admin.post(
        url("rule", club, rule.pk),
        {
            "kind": "family",
            "age_reference": "period_start",
            "min_position": "2",
            "percent": "25",
            "sort_order": "0",
        },
    )
    rule = fresh(rule)
    assert (rule.kind, rule.percent, rule.amount) == ("family", Decimal("25"), None)
    admin.post(url("rule_delete", club, rule.pk))
    with scopes_disabled():
        assert not PriceRule.objects.filter(fee=fee).exists()


@pytest.mark.parametrize(
    "data,message",
    [
        (
            {"kind": "age_band", "max_age": "12", "amount": "100", "percent": "10"},
            "Give either a price or a discount in percent.",
        ),
        ({"kind": "age_band", "amount": "100"}, "An age band needs a lower or an upper age."),
        (
            {"kind": "age_band", "min_age": "13", "max_age": "12", "amount": "1"},
            "The lower age is above the upper age.",
        ),
        ({"kind": "family", "min_position": "1", "percent": "10"}, "greater than or equal to 2"),
        ({"kind": "family", "percent": "101"}, "less than or equal to 100"),
        ({"kind": "age_band", "max_age": "12", "amount": "1,234"}, "at most two decimals"),
    ],
)
def test_price_rule_errors(admin, club, data, message):
    fee = make_fee(club, name="Kontingent")
    form = {"age_reference": "period_start", "min_position": "2", "sort_order": "0", **data}
    response = admin.post(url("rule_create", club, fee.pk), form)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    with scopes_disabled():
        assert not PriceRule.objects.filter(fee=fee).exists()


# --- agreements ----------------------------------------------------------------------


def test_agreement_for_a_child_made_from_the_card_goes_to_the_guardian(admin, club):
    fee = make_fee(club, name="Trening", price="800")
    parent = make_member(club, "Forelder")
    child = make_member(
        club, "Barn", birth=timezone.localdate().replace(year=2016), guardian=parent.person
    )
    card = admin.get(reverse("members:card", args=[club.slug, child.pk])).content.decode()
    assert 'id="panel-agreements"' in card and 'id="panel-invoices"' in card
    create = reverse("billing:agreement_create", args=[club.slug, child.pk])
    form = admin.get(create).context["form"]
    assert "Automatic: Forelder Hansen" in dict(form.fields["payer"].choices)[""]
    day = timezone.localdate().strftime("%d.%m.%Y")
    response = admin.post(create, {"fee": fee.pk, "payer": "", "next_billing_date": day})
    assert response.status_code == 302 and response["Location"].endswith("#panel-agreements")
    with scopes_disabled():
        agreement = Agreement.objects.get(fee=fee)
    assert (agreement.person_id, agreement.payer_id) == (child.person_id, parent.person_id)
    assert agreement.source == "admin"
    # the fee has a live agreement now: not offered again
    assert fee not in admin.get(create).context["form"].fields["fee"].queryset
    parent_card = admin.get(reverse("members:card", args=[club.slug, parent.pk]))
    assert "Receives the invoice for" in parent_card.content.decode()


def test_agreement_form_errors(admin, club):
    make_fee(club, name="Trening")
    membership = make_member(club, "Agnes")
    create = reverse("billing:agreement_create", args=[club.slug, membership.pk])
    response = admin.post(create, {"fee": "999999", "next_billing_date": "i morgen"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"fee", "next_billing_date"}


def test_cancel_an_agreement_after_confirmation(admin, club):
    fee = make_fee(club, name="Trening")
    membership = make_member(club, "Agnes", fee=fee)
    with scopes_disabled():
        agreement = Agreement.objects.get(fee=fee)
    cancel = url("agreement_cancel", club, agreement.pk)
    page = admin.get(cancel)
    assert page.status_code == 200 and "Yes, cancel the agreement" in page.content.decode()
    assert not fresh(agreement).is_cancelled  # a GET changes nothing
    bad = admin.post(cancel, {"ends_on": "31.31.2026"})
    assert bad.status_code == 400 and not fresh(agreement).is_cancelled
    last = timezone.localdate().strftime("%d.%m.%Y")
    response = admin.post(cancel, {"ends_on": last})
    assert response["Location"].endswith(f"/members/{membership.pk}/#panel-agreements")
    agreement = fresh(agreement)
    assert agreement.is_cancelled and agreement.ends_on == timezone.localdate()
    again = admin.post(cancel, {"ends_on": last}, follow=True)
    assert "cancelled already" in again.content.decode()


def test_cancel_back_to_a_billed_period_warns_about_the_invoice(admin, club):
    _fee, (membership, _other), invoices = make_invoices(club)
    with scopes_disabled():
        agreement = Agreement.objects.get(person=membership.person)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = admin.post(
        url("agreement_cancel", club, agreement.pk),
        {"ends_on": yesterday.strftime("%d.%m.%Y")},
        follow=True,
    )
    assert f"Invoice {invoices[0].number} bills a period after the last day" in (
        response.content.decode()
    )


def test_agreement_list_filters(admin, club):
    fee = make_fee(club, name="Trening")
    other = make_fee(club, name="Drakt")
    make_member(club, "Agnes", fee=fee)
    brede = make_member(club, "Brede", fee=other)
    with scopes_disabled():
        services.cancel_agreement(Agreement.objects.get(person=brede.person))

    def names(query):
        page = admin.get(url("agreements", club, query=query)).context["page"]
        return [a.person.first_name for a in page.object_list]

    assert names("") == ["Agnes", "Brede"]
    assert names(f"fee={other.pk}") == ["Brede"]
    assert names("state=live") == ["Agnes"]
    assert names("q=brede") == ["Brede"]


# --- member card and navigation --------------------------------------------------------


def test_card_invoices_panel_lists_the_members_invoices(admin, club):
    _fee, (agnes, _brede), invoices = make_invoices(club)
    card = admin.get(reverse("members:card", args=[club.slug, agnes.pk]))
    panels = {p.key: ctx for p, ctx in card.context["panels"]}
    assert [inv.pk for inv in panels["invoices"]["invoices"]] == [invoices[0].pk]
    page = card.content.decode()
    assert url("invoice_pdf", club, invoices[0].pk) in page
    assert "600,00 kr" in page


def test_billing_is_in_the_navigation_of_admins_only(client, club, admin):
    page = admin.get(reverse("members:dashboard", args=[club.slug])).content.decode()
    assert url("invoices", club) in page
    with scopes_disabled():
        group = Group.objects.create(club=club, name="Gym")
        coach = get_or_create_user("coach@example.no", "pw-123456789")
        grant_group_admin(group, coach)
    client.force_login(coach)
    page = client.get(reverse("members:groups", args=[club.slug])).content.decode()
    assert url("invoices", club) not in page
    assert client.get(url("invoices", club)).status_code == 403


def test_a_price_that_does_not_read_does_not_hide_the_age_error(admin, club):
    fee = make_fee(club, name="Kontingent")
    form = {"kind": "age_band", "min_age": "13", "max_age": "12", "amount": "abc"}
    form.update(age_reference="period_start", min_position="2", sort_order="0")
    response = admin.post(url("rule_create", club, fee.pk), form)
    page = response.content.decode()
    assert "Write an amount in kroner" in page
    assert "The lower age is above the upper age." in page
    assert "Give either a price or a discount" not in page
