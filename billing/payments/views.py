"""Card payment pages (R-BIL-8), not club-scoped by URL: an invoice is reached through
its recipient (anyone else gets 404), a payment through its unguessable token. The rules
are in ``billing.payments.services``."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from billing.models import CardPayment
from billing.payments import get_provider, services
from billing.payments.base import InvalidCallback
from billing.payments.builtin import TestProvider
from billing.services import BillingError
from members import permissions


def _person(request):
    person = permissions.min_side_person(request.user)
    if person is None:
        raise Http404
    return person


@login_required
@require_http_methods(["GET", "POST"])
def pay(request, invoice_id: int):
    """GET: the amount and a button; POST: start the payment and go to the provider."""
    person = _person(request)
    invoice = services.invoice_for_person(person, invoice_id)
    if invoice is None:
        raise Http404
    try:
        amount = services.payable_amount(invoice)
        if request.method == "POST":
            base = request.build_absolute_uri("/")
            return redirect(services.start_payment(invoice, person, base))
    except BillingError as exc:
        context = {"invoice": invoice, "error": str(exc)}
        status = 400 if request.method == "POST" else 200
        return render(request, "billing/payments/pay.html", context, status=status)
    return render(request, "billing/payments/pay.html", {"invoice": invoice, "amount": amount})


@login_required
def done(request, token: str):
    """Where the provider sends the member back: paid, cancelled, or still waiting."""
    card = services.card_payment_for(_person(request), token)
    if card is None:
        raise Http404
    card = services.refresh_status(card)
    return render(request, "billing/payments/done.html", {"card": card, "invoice": card.invoice})


@login_required
def cancelled(request, token: str):
    """The provider's cancel address. A GET, because providers send the member here by
    redirect; it only ends the member's own unfinished payment."""
    card = services.card_payment_for(_person(request), token)
    if card is None:
        raise Http404
    services.cancel_by_return(card)
    return redirect("payments:done", token=token)


@csrf_exempt  # the provider's server calls this; its signature is checked instead
@require_POST
def webhook(request, provider: str):
    try:
        backend = get_provider(provider)
    except ImproperlyConfigured as exc:
        raise Http404 from exc
    if not backend.has_webhook:
        raise Http404
    try:
        services.handle_callback(backend, request)
    except InvalidCallback as exc:
        return HttpResponse(f"Invalid callback: {exc}", status=400, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")


@require_http_methods(["GET", "POST"])
def test_page(request, token: str):
    """The built-in test provider's payment page: what its session holds, Pay and
    Cancel. The POST is the provider's callback; then the member goes back."""
    try:
        provider = get_provider(TestProvider.name)
    except ImproperlyConfigured as exc:
        raise Http404 from exc
    session = provider.session(token)
    if request.method == "POST" and session is not None:
        try:
            services.handle_callback(provider, request)
        except InvalidCallback:
            return _test_page(request, provider, token, session, status=400)
        return redirect(provider.next_url(token))
    return _test_page(request, provider, token, session, status=200 if session else 404)


def _test_page(request, provider, token, session, *, status):
    context = {
        "token": token,
        "session": session,
        "decision": provider.decision(token) if session else None,
        "paid": CardPayment.Status.PAID,
    }
    if context["decision"]:
        context["next_url"] = provider.next_url(token)
    return render(request, "billing/payments/test_provider.html", context, status=status)
