"""The club's message pages (R-COM-1 … R-COM-5): compose, preview, send, and the list of
sends with their progress and each message's status.

Club admins reach every member; a group admin only the members of their groups, and only
the sends they started (``members.permissions``). The rules live in ``comms.composer``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from comms import composer
from comms.forms import ComposeForm, new_token
from comms.models import Channel, Kind, OutboundMessage, SendBatch
from comms.services import CommsError
from comms.sms import segments
from members.filters import ordering


def _source(request, data):
    try:
        return composer.source_from(request.club_access, data), None
    except ValidationError as exc:
        return None, " ".join(exc.messages)


def compose(request, club_slug):
    """Write the message (GET), or see the preview of what was written (POST)."""
    data = request.POST if request.method == "POST" else request.GET
    source, error = _source(request, data)
    if source is None:
        messages.error(request, error)
        return redirect("members:list", club_slug=club_slug)
    if request.method == "POST":
        if "edit" in request.POST:  # back from the preview, to change the text
            return _render_compose(request, source, ComposeForm(initial=_initial(request.POST)))
        form = ComposeForm(request.POST)
        if form.is_valid():
            return _render_preview(request, source, form)
        return _render_compose(request, source, form, status=400)
    return _render_compose(request, source, ComposeForm(initial={"token": new_token()}))


def _render_compose(request, source, form, *, status: int = 200):
    """The form, with how many the source's members are and how many of them each
    channel reaches, with and without those who opted out of newsletters (the live SMS
    estimate multiplies the parts by the SMS recipients of the chosen kind)."""
    reach = {
        channel: composer.resolve(
            request.club, source.memberships, channel=channel, kind=Kind.NEWSLETTER
        )
        for channel in (Channel.EMAIL, Channel.SMS)
    }
    context = {
        "form": form,
        "source": source,
        "reach": reach,
        "merge_fields": composer.MERGE_FIELDS,
        "max_chars": segments.MAX_CHARS,
    }
    return render(request, "comms/composer/compose.html", context, status=status)


def _initial(data) -> dict:
    return {name: data.get(name, "") for name in ("channel", "kind", "subject", "text", "token")}


def _render_preview(request, source, form, *, error: str = "", status: int = 200):
    data = form.cleaned_data
    resolution = composer.resolve(
        request.club, source.memberships, channel=data["channel"], kind=data["kind"]
    )
    shown = composer.preview(resolution, subject=data["subject"], text=data["text"])
    context = {
        "form": form,
        "data": data,
        "source": source,
        "preview": shown,
        "resolution": resolution,
        "error": error,
        "already_sent": composer.find_send(request.club, data["token"]),
        "max_chars": segments.MAX_CHARS,
    }
    return render(request, "comms/composer/preview.html", context, status=status)


@require_POST
def send(request, club_slug):
    """Queue the previewed message. The token makes a double click send once: the second
    request finds the first send and shows it."""
    source, error = _source(request, request.POST)
    if source is None:
        messages.error(request, error)
        return redirect("members:list", club_slug=club_slug)
    form = ComposeForm(request.POST)
    if not form.is_valid():
        return _render_compose(request, source, form, status=400)
    data = form.cleaned_data
    resolution = composer.resolve(
        request.club, source.memberships, channel=data["channel"], kind=data["kind"]
    )
    try:
        batch, created = composer.send(
            request.club,
            resolution,
            token=data["token"],
            subject=data["subject"],
            text=data["text"],
            user=request.user,
        )
    except composer.RateLimited as exc:
        return _render_preview(request, source, form, error=" ".join(exc.messages), status=429)
    except CommsError as exc:
        return _render_preview(request, source, form, error=" ".join(exc.messages), status=400)
    if created:
        messages.success(
            request,
            ngettext(
                "The message is on its way to %(n)d recipient.",
                "The message is on its way to %(n)d recipients.",
                batch.total,
            )
            % {"n": batch.total},
        )
    else:
        messages.info(request, _("This message was sent already; it is not sent again."))
    return redirect("composer:send_detail", club_slug=club_slug, send_id=batch.pk)


def _sends(request):
    """The sends this user may see: all of the club's for an admin, their own for a
    group admin (the recipients of others' sends are not theirs to see)."""
    sends = SendBatch.objects.filter(club=request.club)
    if not request.club_access.is_admin:
        sends = sends.filter(created_by=request.user)
    return sends


def send_list(request, club_slug):
    sends = _sends(request).select_related("created_by").order_by("-created_at")
    page = Paginator(sends, 50).get_page(request.GET.get("page"))
    return render(request, "comms/composer/sends.html", {"page": page})


STATUS_ORDER = [s for s, _label in OutboundMessage.Status.choices]


def send_detail(request, club_slug, send_id):
    batch = get_object_or_404(_sends(request).select_related("created_by"), pk=send_id)
    rows = OutboundMessage.objects.filter(club=request.club, batch=batch)
    counts = dict(rows.values_list("status").annotate(n=Count("pk")).order_by())
    status = request.GET.get("status", "")
    if status in STATUS_ORDER:
        rows = rows.filter(status=status)
    # By name, the Norwegian way (as the member overview sorts).
    rows = rows.select_related("person", "about_person").order_by(*ordering("name"))
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    context = {
        "batch": batch,
        "page": page,
        "status": status,
        "statuses": [
            (value, label, counts.get(value, 0)) for value, label in OutboundMessage.Status.choices
        ],
    }
    return render(request, "comms/composer/send_detail.html", context)


def send_progress(request, club_slug, send_id):
    """Polled by htmx while the messages go out; asks for a reload when all are done."""
    batch = get_object_or_404(_sends(request), pk=send_id)
    if batch.is_finished:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "comms/composer/_progress.html", {"batch": batch})
