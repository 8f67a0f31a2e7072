"""The composer (R-COM-1 … R-COM-5): recipients, merge fields, preview, send, the list of
sends, and who may do what."""

import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from comms import composer
from comms.models import OutboundMessage, SendBatch
from comms.sms import segments
from members import services as members_services
from members.models import ClubRole, Group, GroupMember, Membership, Person
from members.permissions import club_access, visible_memberships

pytestmark = pytest.mark.django_db


def years_ago(years: int) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=1)


def member(club, group, **fields) -> Membership:
    person = Person.objects.create(**fields)
    membership = members_services.add_membership(club, person, source="admin")
    members_services.add_to_group(group, membership)
    return membership


@pytest.fixture
def family(club):
    """A group of demo-a with every kind of recipient:

    * Ola (10) and Per (8), children of Kari (e-mail and mobile); Ola also of Knut
      (mobile only); neither guardian is a member;
    * Anne, an adult with e-mail and mobile; Siri, an adult who opted out of newsletters;
    * Bjørn, an adult with neither e-mail nor mobile;
    * Lise (12), whose only guardian Gro has neither;
    * Tea (16), without a guardian, with her own e-mail and mobile.
    """
    with scope(club=club):
        group = Group.objects.create(club=club, name="Composer G13")
        kari = Person.objects.create(
            first_name="Kari", last_name="Nordmann", email="kari@example.no", mobile="+4791000001"
        )
        knut = Person.objects.create(first_name="Knut", last_name="Nordmann", mobile="+4791000002")
        gro = Person.objects.create(first_name="Gro", last_name="Holm")
        ola = member(club, group, first_name="Ola", last_name="Nordmann", birth_date=years_ago(10))
        per = member(club, group, first_name="Per", last_name="Nordmann", birth_date=years_ago(8))
        ola.person.guardians.add(kari, knut)
        per.person.guardians.add(kari)
        lise = member(club, group, first_name="Lise", last_name="Holm", birth_date=years_ago(12))
        lise.person.guardians.add(gro)
        anne = member(
            club,
            group,
            first_name="Anne",
            last_name="Berg",
            birth_date=years_ago(40),
            email="anne@example.no",
            mobile="+4791000003",
        )
        siri = member(
            club,
            group,
            first_name="Siri",
            last_name="Lund",
            birth_date=years_ago(35),
            email="siri@example.no",
            mobile="+4791000004",
            newsletter_opt_out_at=timezone.now(),
        )
        bjorn = member(club, group, first_name="Bjørn", last_name="Dahl", birth_date=years_ago(50))
        tea = member(
            club,
            group,
            first_name="Tea",
            last_name="Vik",
            birth_date=years_ago(16),
            email="tea@example.no",
            mobile="+4791000005",
        )
    return {
        "group": group,
        "kari": kari,
        "knut": knut,
        "ola": ola,
        "per": per,
        "lise": lise,
        "anne": anne,
        "siri": siri,
        "bjorn": bjorn,
        "tea": tea,
    }


def resolve(demo, club, family, channel, kind="transactional", user=None):
    access = club_access(user or demo["admin_a"], club)
    with scope(club=club):
        source = composer.source_from(access, QueryDict(f"group={family['group'].pk}"))
        return composer.resolve(club, source.memberships, channel=channel, kind=kind)


# Messages are written in the site's language ("Ola og Per" in Norwegian).
OLA_AND_PER = composer.join_names(["Ola", "Per"])


def test_children_are_named_the_way_one_writes_them(settings):
    settings.LANGUAGE_CODE = "en"
    assert composer.join_names([]) == ""
    assert composer.join_names(["Ola"]) == "Ola"
    assert composer.join_names(["Ola", "Per"]) == "Ola and Per"
    assert composer.join_names(["Ola", "Per", "Kari"]) == "Ola, Per and Kari"


def by_name(resolution):
    return {resolution.names[r.person_id]: r for r in resolution.recipients + resolution.opted_out}


# --- Recipients (R-COM-2, R-COM-5) ------------------------------------------------------------


def test_children_reach_their_guardians_once_per_guardian_by_email(demo, club, family):
    """R-COM-2: a child's message goes to the guardians; Kari, guardian of Ola and Per,
    gets one e-mail naming both; Knut has no e-mail; adults get their own; a 16-year-old
    without a guardian gets it herself; members nobody can reach are listed with why."""
    r = resolve(demo, club, family, "email")
    recipients = by_name(r)
    assert set(recipients) == {"Kari Nordmann", "Anne Berg", "Siri Lund", "Tea Vik"}
    kari = recipients["Kari Nordmann"]
    assert kari.to == "kari@example.no"
    assert kari.fields["barn"] == OLA_AND_PER
    assert kari.about_person_id in (family["ola"].person_id, family["per"].person_id)
    assert recipients["Anne Berg"].fields["barn"] == "Anne"  # an adult: herself
    assert {(u.name, u.reason) for u in r.unreachable} == {
        ("Bjørn Dahl", "no e-mail address"),
        ("Lise Holm", "none of the guardians has an e-mail address"),
    }
    assert r.members == 7 and r.opted_out == []


def test_children_reach_their_guardians_by_sms(demo, club, family):
    """By SMS Knut (mobile only) is reached too; Kari still gets one message for two."""
    r = resolve(demo, club, family, "sms")
    recipients = by_name(r)
    assert set(recipients) == {
        "Kari Nordmann",
        "Knut Nordmann",
        "Anne Berg",
        "Siri Lund",
        "Tea Vik",
    }
    assert recipients["Kari Nordmann"].to == "+4791000001"
    assert recipients["Kari Nordmann"].fields["barn"] == OLA_AND_PER
    assert recipients["Knut Nordmann"].fields["barn"] == "Ola"
    assert {(u.name, u.reason) for u in r.unreachable} == {
        ("Bjørn Dahl", "no mobile number"),
        ("Lise Holm", "none of the guardians has a valid mobile number"),
    }


def test_guardian_who_is_a_member_too_gets_one_message(demo, club, family):
    """A guardian in the selection herself and for her children: still one message."""
    with scope(club=club):
        kari = members_services.add_membership(club, family["kari"], source="admin")
        members_services.add_to_group(family["group"], kari)
    r = resolve(demo, club, family, "email")
    assert [r.names[x.person_id] for x in r.recipients].count("Kari Nordmann") == 1
    assert by_name(r)["Kari Nordmann"].fields["barn"] == composer.join_names(["Kari", "Ola", "Per"])


def test_newsletter_skips_and_counts_opted_out(demo, club, family):
    """R-COM-5: Siri opted out: no newsletter for her, counted; information still goes."""
    newsletter = resolve(demo, club, family, "email", kind="newsletter")
    assert [newsletter.names[r.person_id] for r in newsletter.opted_out] == ["Siri Lund"]
    assert "Siri Lund" not in {newsletter.names[r.person_id] for r in newsletter.recipients}
    info = resolve(demo, club, family, "email", kind="transactional")
    assert info.opted_out == []
    assert "Siri Lund" in {info.names[r.person_id] for r in info.recipients}


def test_recipients_in_name_order_norwegian_letters_last(demo, club, family):
    """Like the overview: by last, then first name; æ, ø, å after z, "aa" as å."""
    r = resolve(demo, club, family, "sms")
    names = [r.names[x.person_id] for x in r.recipients]
    assert names == ["Anne Berg", "Siri Lund", "Kari Nordmann", "Knut Nordmann", "Tea Vik"]
    last_names = ["Aasen", "Ødegård", "Berg", "Zahl", "Ærø", "Åmot"]
    ordered = sorted(last_names, key=lambda n: composer._name_key(n, ""))
    assert ordered == ["Berg", "Zahl", "Ærø", "Ødegård", "Åmot", "Aasen"]


# --- Merge fields (R-COM-3) -------------------------------------------------------------------


def test_merge_fields_known_and_unknown():
    composer.check_merge_fields("Hei {fornavn} {etternavn}! {barn} – {klubb}: {lenke}")
    with pytest.raises(Exception) as info:
        composer.check_merge_fields("Hei {navn}, {Fornavn} og {navn}")
    message = " ".join(info.value.messages)
    assert "Unknown merge fields: {navn}, {Fornavn}." in message
    assert "{fornavn}" in message and "{lenke}" in message


def test_merge_fields_filled_in_per_recipient(
    demo, club, family, django_capture_on_commit_callbacks, mailoutbox
):
    """R-COM-3: every recipient reads their own names, the club, the Min side link."""
    r = resolve(demo, club, family, "email")
    with django_capture_on_commit_callbacks(execute=True):
        batch, created = composer.send(
            club,
            r,
            token="a" * 32,
            subject="Til {fornavn} fra {klubb}",
            text="Hei {fornavn} {etternavn}!\nGjelder: {barn}\nMin side: {lenke}",
            user=demo["admin_a"],
        )
    assert created and batch.total == 4
    mail = next(m for m in mailoutbox if m.to == ["kari@example.no"])
    assert mail.subject == f"Til Kari fra {club.name}"
    assert mail.body.startswith(
        f"Hei Kari Nordmann!\nGjelder: {OLA_AND_PER}\nMin side: https://ims.example.no/min-side/"
    )


# --- The pages ----------------------------------------------------------------------------------


def compose_url(club, **params):
    return composer.compose_url(club, **params)


def post_preview(client, club, source: dict, **fields):
    data = {"channel": "email", "kind": "transactional", "subject": "", "text": ""}
    data |= {"token": "b" * 32, **source, **fields}
    return client.post(reverse("composer:compose", args=[club.slug]), data)


def post_send(client, club, source: dict, **fields):
    data = {"channel": "email", "kind": "transactional", "subject": "", "text": ""}
    data |= {"token": "b" * 32, **source, **fields}
    return client.post(reverse("composer:send", args=[club.slug]), data)


def test_compose_preview_send_and_follow_the_progress(
    client, demo, club, family, mailoutbox, django_capture_on_commit_callbacks
):
    """The whole way through the pages: the group page's "Send message", the form, the
    preview (counts, the first recipient's message), the send, the send's page."""
    client.force_login(demo["admin_a"])
    group = family["group"]
    page = client.get(reverse("members:group", args=[club.slug, group.pk])).content.decode()
    link = re.search(r'href="([^"]+)">Send message<', page).group(1).replace("&amp;", "&")
    assert link == compose_url(club, group=group.pk)
    form = client.get(link)
    assert form.status_code == 200
    html = form.content.decode()
    assert "To the group Composer G13: 7 members." in html and 'name="token"' in html
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)

    source = {"group": group.pk}
    fields = {
        "token": token,
        "kind": "newsletter",
        "subject": "Trening for {barn}",
        "text": "Hei {fornavn}!\r\nTreningen er flyttet.",
    }
    preview = post_preview(client, club, source, **fields)
    assert preview.status_code == 200
    html = preview.content.decode()
    stats = dict(re.findall(r'id="stat-([\w-]+)"><span class="num">(\d+)<', html))
    assert stats == {"recipients": "3", "unreachable": "2", "opted-out": "1"}
    # The first recipient by name, and the first guardian, as they will read it.
    assert "As Anne Berg will read it" in html
    assert "Trening for Anne" in html and "Hei Anne!<br>Treningen er flyttet." in html
    assert "As Kari Nordmann will read it" in html
    assert f"guardian of {OLA_AND_PER}" in html and f"Trening for {OLA_AND_PER}" in html
    assert "As Tea Vik will read it" not in html
    assert "Bjørn Dahl" in html and "none of the guardians has an e-mail address" in html
    assert "Send to 3 recipients" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = post_send(client, club, source, **fields)
    assert response.status_code == 302
    with scopes_disabled():
        batch = SendBatch.objects.get(key=composer.send_key(club, token))
    assert response["Location"] == reverse("composer:send_detail", args=[club.slug, batch.pk])
    assert (batch.total, batch.skipped, batch.kind) == (3, 1, "newsletter")
    assert sorted(m.to[0] for m in mailoutbox) == [
        "anne@example.no",
        "kari@example.no",
        "tea@example.no",
    ]
    kari = next(m for m in mailoutbox if m.to == ["kari@example.no"])
    assert kari.subject == f"Trening for {OLA_AND_PER}"
    assert kari.body.startswith("Hei Kari!\nTreningen er flyttet.")  # one line break

    detail = client.get(response["Location"]).content.decode()
    assert "Finished" in detail and "Kari Nordmann" in detail and "guardian of" in detail
    assert detail.count('class="badge message-status-sent"') == 3
    progress = client.get(reverse("composer:send_progress", args=[club.slug, batch.pk]))
    assert progress.status_code == 204 and progress["HX-Refresh"] == "true"
    listing = client.get(reverse("composer:sends", args=[club.slug])).content.decode()
    assert "Trening for {barn}" in listing and "3 of 3 sent" in listing


def test_progress_polls_while_sending(client, demo, club, family):
    """Before the worker has sent them, the send's page polls its progress."""
    client.force_login(demo["admin_a"])
    response = post_send(client, club, {"group": family["group"].pk}, subject="S", text="T")
    assert response.status_code == 302  # the sends are queued on commit: not run here
    detail = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in detail and "0 sent, 0 failed, of 4" in detail
    batch_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    poll = client.get(reverse("composer:send_progress", args=[club.slug, batch_id]))
    assert poll.status_code == 200 and "<progress" in poll.content.decode()


def test_double_click_on_send_sends_once(
    client, demo, club, family, django_capture_on_commit_callbacks, mailoutbox
):
    """The form's token is the send's idempotency key: the second POST finds the first send."""
    client.force_login(demo["admin_a"])
    source = {"group": family["group"].pk}
    with django_capture_on_commit_callbacks(execute=True):
        first = post_send(client, club, source, subject="Hei", text="Hei {fornavn}")
    with django_capture_on_commit_callbacks(execute=True):
        second = post_send(client, club, source, subject="Hei", text="Hei {fornavn}")
    assert first["Location"] == second["Location"]
    with scopes_disabled():
        assert SendBatch.objects.filter(key=composer.send_key(club, "b" * 32)).count() == 1
        assert OutboundMessage.objects.filter(batch__club=club, subject="Hei").count() == 4
    assert len(mailoutbox) == 4
    shown = client.get(second["Location"])
    assert "This message was sent already; it is not sent again." in shown.content.decode()
    # Back to the preview with the same token: no send button, a link to the send instead.
    preview = post_preview(client, club, source, subject="Hei", text="Hei {fornavn}")
    assert "This message was sent already." in preview.content.decode()
    assert 'id="send-button"' not in preview.content.decode()


def test_rate_limit_per_club_and_hour(client, demo, club, family, settings):
    """R-COM-4: a club may start COMMS_COMPOSER_SENDS_PER_HOUR sends an hour; the next
    one is refused with when it can go, and nothing is queued."""
    settings.COMMS_COMPOSER_SENDS_PER_HOUR = 2
    client.force_login(demo["admin_a"])
    source = {"group": family["group"].pk}
    for token in ("1" * 32, "2" * 32):
        assert (
            post_send(client, club, source, token=token, subject="S", text="T").status_code == 302
        )
    refused = post_send(client, club, source, token="3" * 32, subject="S", text="T")
    assert refused.status_code == 429
    assert "has started 2 sends in the last hour, the most allowed" in refused.content.decode()
    assert "You can send again at" in refused.content.decode()
    with scopes_disabled():
        assert not SendBatch.objects.filter(key=composer.send_key(club, "3" * 32)).exists()
        # Another club is not held back by this one.
        assert composer.sends_in_last_hour(demo["b"]) == []
        # An hour later the club may send again.
        SendBatch.objects.filter(club=club).update(
            created_at=timezone.now() - timedelta(minutes=61)
        )
    again = post_send(client, club, source, token="3" * 32, subject="S", text="T")
    assert again.status_code == 302


def test_nobody_to_reach_sends_nothing(client, demo, club, family):
    """Bjørn has neither e-mail nor mobile: the preview says so, and a send is refused."""
    client.force_login(demo["admin_a"])
    source = {"member": family["bjorn"].pk}
    preview = post_preview(client, club, source, subject="S", text="T")
    assert "Nobody can be reached with this message." in preview.content.decode()
    assert 'id="send-button"' not in preview.content.decode()
    refused = post_send(client, club, source, subject="S", text="T")
    assert refused.status_code == 400
    with scopes_disabled():
        assert not SendBatch.objects.filter(club=club).exists()


def test_unknown_merge_field_is_refused_by_name(client, demo, club, family):
    client.force_login(demo["admin_a"])
    response = post_preview(
        client,
        club,
        {"group": family["group"].pk},
        subject="Hei {navn}",
        text="Hei {fornavn} {klub}",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown merge fields: {navn}." in html
    assert "Unknown merge fields: {klub}." in html


def test_email_needs_a_subject_and_sms_a_short_text(client, demo, club, family):
    client.force_login(demo["admin_a"])
    source = {"group": family["group"].pk}
    no_subject = post_preview(client, club, source, text="Hei")
    assert (
        no_subject.status_code == 400
        and "An e-mail needs a subject." in no_subject.content.decode()
    )
    too_long = post_preview(client, club, source, channel="sms", text="x" * 801)
    assert too_long.status_code == 400
    assert "at most 800 characters; this one has 801" in too_long.content.decode()
    expired = post_preview(client, club, source, token="not-a-token", subject="S", text="T")
    assert "The form has expired" in expired.content.decode()


def test_sms_too_long_once_merged_is_not_sent(client, demo, club, family):
    """R-COM-1: the text fits, but with the Min side link filled in it does not."""
    client.force_login(demo["admin_a"])
    source = {"group": family["group"].pk}
    text = "x" * 780 + " {lenke}"
    preview = post_preview(client, club, source, channel="sms", text=text)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "5 messages are longer than 800 characters" in html
    assert 'id="send-button"' not in html
    refused = post_send(client, club, source, channel="sms", text=text)
    assert refused.status_code == 400
    assert "5 of the messages are longer than 800" in refused.content.decode()
    with scopes_disabled():
        assert not SendBatch.objects.filter(club=club).exists()


def test_sms_preview_counts_parts_and_total(
    client, demo, club, family, django_capture_on_commit_callbacks, sms_outbox
):
    """R-COM-1: 800 GSM-7 characters (æøå included) are 6 parts; the preview adds up the
    parts of every recipient's message."""
    client.force_login(demo["admin_a"])
    source = {"group": family["group"].pk}
    text = ("Blåbærsyltetøy på " * 50)[:800]
    assert segments.count(text) == (segments.GSM7, 6, 800)
    preview = post_preview(client, club, source, channel="sms", text=text)
    html = preview.content.decode()
    assert 'data-parts="6" data-encoding="GSM-7"' in html
    assert re.search(r'id="stat-sms-total"><span class="num">30<', html)  # 6 × 5
    with django_capture_on_commit_callbacks(execute=True):
        post_send(client, club, source, channel="sms", text=text.replace(" ", "\r\n", 1))
    assert len(sms_outbox.sent) == 5
    assert {to for _sender, to, _text, _ref in sms_outbox.sent} == {
        "+4791000001",
        "+4791000002",
        "+4791000003",
        "+4791000004",
        "+4791000005",
    }
    assert all(len(text) == 800 and "\r" not in text for _s, _to, text, _r in sms_outbox.sent)


# --- Entry points -----------------------------------------------------------------------------


def test_send_message_from_the_member_card(client, demo, club, family):
    client.force_login(demo["admin_a"])
    anne = family["anne"]
    card = client.get(reverse("members:card", args=[club.slug, anne.pk])).content.decode()
    assert f'href="{compose_url(club, member=anne.pk)}"' in card
    html = client.get(compose_url(club, member=anne.pk)).content.decode()
    assert "To Anne Berg: 1 member." in html


def test_a_selection_of_members(client, demo, club, family):
    """R-COM-2: several members by id (``?member=…&member=…``): Ola and Per are Kari's
    children, so by e-mail the selection is one message, to Kari."""
    client.force_login(demo["admin_a"])
    ids = [family["ola"].pk, family["per"].pk]
    url = reverse("composer:compose", args=[club.slug]) + f"?member={ids[0]}&member={ids[1]}"
    response = client.get(url)
    assert "To 2 selected members: 2 members." in response.content.decode()
    reach = response.context["reach"]["email"]
    assert [reach.names[r.person_id] for r in reach.recipients] == ["Kari Nordmann"]
    preview = post_preview(client, club, {"member": ids}, subject="S", text="Hei {barn}")
    assert "Send to 1 recipient<" in preview.content.decode()
    assert f"Hei {OLA_AND_PER}" in preview.content.decode()
    # One id of another club's member in the selection: not found, nothing shown.
    with scopes_disabled():
        other = Membership.objects.filter(club=demo["b"]).first()
    assert client.get(f"{url}&member={other.pk}").status_code == 404


def test_send_message_to_the_overview_filter(client, demo, club):
    """The overview's link carries its filter; the composer resolves the same members."""
    client.force_login(demo["admin_a"])
    query = {"status": "active", "gender": "female"}
    overview = client.get(reverse("members:list", args=[club.slug]), query)
    shown = overview.context["page"].paginator.count
    link = re.search(r'href="([^"]+)">Send message<', overview.content.decode()).group(1)
    link = link.replace("&amp;", "&")
    passed = parse_qs(parse_qs(urlparse(link).query)["filter"][0])
    assert passed["status"] == ["active"] and passed["gender"] == ["female"]
    response = client.get(link)
    assert response.context["reach"]["email"].members == shown > 0
    # An htmx update of the table keeps the link in step with the filter.
    partial = client.get(
        reverse("members:list", args=[club.slug]), {"status": "pending"}, HTTP_HX_REQUEST="true"
    )
    assert "filter=status%3Dpending" in partial.content.decode()


def test_invalid_filter_is_refused_with_its_error(client, demo, club):
    client.force_login(demo["admin_a"])
    response = client.get(compose_url(club, filter="status=nonsense"), follow=True)
    assert "The member filter is not valid" in response.content.decode()


def test_messages_in_the_club_navigation(client, demo, club):
    for user in (demo["admin_a"], demo["coach_a"]):
        client.force_login(user)
        html = client.get(reverse("members:dashboard", args=[club.slug])).content.decode()
        assert f'href="{reverse("composer:sends", args=[club.slug])}"' in html


# --- Who may send to whom ------------------------------------------------------------------------


@pytest.fixture
def coach_group(demo, unscoped_db):
    return Group.objects.get(roles__user=demo["coach_a"], roles__kind=ClubRole.Kind.GROUP_ADMIN)


def test_group_admin_reaches_only_their_groups(client, demo, club, family, coach_group):
    """R-GRP-2: a group admin writes to their own group's members, nothing else."""
    client.force_login(demo["coach_a"])
    assert client.get(compose_url(club, group=coach_group.pk)).status_code == 200
    assert client.get(compose_url(club, group=family["group"].pk)).status_code == 404
    assert client.get(compose_url(club, member=family["anne"].pk)).status_code == 404
    assert (
        post_preview(client, club, {"member": family["anne"].pk}, subject="S", text="T").status_code
        == 404
    )
    assert (
        post_send(client, club, {"group": family["group"].pk}, subject="S", text="T").status_code
        == 404
    )
    with scopes_disabled():
        own = set(
            GroupMember.objects.filter(group=coach_group).values_list("membership_id", flat=True)
        )
        own_member = Membership.objects.get(pk=min(own))
    assert client.get(compose_url(club, member=own_member.pk)).status_code == 200
    # The overview's filter (here: everyone) holds only the coach's group for the coach.
    response = client.get(compose_url(club, filter=""))
    assert response.context["reach"]["email"].members == len(own)
    with scope(club=club):
        access = club_access(demo["coach_a"], club)
        assert set(visible_memberships(access).values_list("pk", flat=True)) == own


def test_group_admin_sees_only_their_own_sends(client, demo, club, family, coach_group):
    client.force_login(demo["admin_a"])
    admin_send = post_send(client, club, {"group": family["group"].pk}, subject="Admin", text="T")
    client.force_login(demo["coach_a"])
    coach_send = post_send(
        client, club, {"group": coach_group.pk}, token="c" * 32, subject="Coach", text="T"
    )
    assert coach_send.status_code == 302
    listing = client.get(reverse("composer:sends", args=[club.slug])).content.decode()
    assert "Coach" in listing and "Admin" not in listing
    assert client.get(admin_send["Location"]).status_code == 404
    assert client.get(admin_send["Location"] + "progress/").status_code == 404
    assert client.get(coach_send["Location"]).status_code == 200
    client.force_login(demo["admin_a"])
    listing = client.get(reverse("composer:sends", args=[club.slug])).content.decode()
    assert "Coach" in listing and "Admin" in listing


def test_other_clubs_members_and_groups_are_not_found(client, demo, club, family):
    """R-SEC-1: demo-b's admin names demo-a's member or group under demo-b's slug."""
    client.force_login(demo["admin_b"])
    b = demo["b"]
    assert client.get(compose_url(b, member=family["anne"].pk)).status_code == 404
    assert client.get(compose_url(b, group=family["group"].pk)).status_code == 404
    assert client.get(compose_url(b, member="x")).status_code == 404
    response = post_send(client, b, {"member": family["anne"].pk}, subject="S", text="T")
    assert response.status_code == 404
    with scopes_disabled():
        assert not SendBatch.objects.filter(created_by=demo["admin_b"]).exists()
