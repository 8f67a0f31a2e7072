"""Public pages of comms: the newsletter unsubscribe link (R-COM-5) and the SMS gateway's
delivery report. Neither needs a login: the signed token or the shared secret is the key."""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from comms import services


@csrf_exempt  # the signed token is the credential; mail clients POST here (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET asks (link scanners must not unsubscribe anyone); POST unsubscribes."""
    person = services.person_for_unsubscribe(token)
    if person is None:
        return render(request, "comms/unsubscribe_invalid.html", status=400)
    if request.method == "POST":
        services.opt_out_of_newsletters(person)
        return render(request, "comms/unsubscribe_done.html", {"person": person})
    return render(request, "comms/unsubscribe_confirm.html", {"person": person})


@csrf_exempt  # called by the gateway, authenticated by the token in the URL
@require_http_methods(["GET", "POST"])
def sms_delivery_report(request, token: str):
    expected = settings.SMS_WEBHOOK_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    services.record_sms_delivery(
        provider_message_id=data.get("id", ""),
        reference=data.get("ref", ""),
        delivered=data.get("status", "").lower() == "true",
        error=" ".join(p for p in (data.get("errorCode", ""), data.get("errorDesc", "")) if p),
    )
    return HttpResponse("OK", content_type="text/plain")
