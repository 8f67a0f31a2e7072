"""A local fake of the Stripe API parts the adapter uses, started by the tests: real HTTP
on 127.0.0.1, Stripe's documented shapes (Checkout Session create, retrieve, expire)."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

SECRET_KEY = "sk_test_fake_123"  # noqa: S105
WEBHOOK_SECRET = "whsec_fake_456"  # noqa: S105


class FakeStripe(BaseHTTPRequestHandler):
    """``requests`` records what came in; ``sessions`` holds the sessions it made;
    ``fail`` (HTTP status, message) makes the next call fail."""

    requests: list[dict] = []
    sessions: dict[str, dict] = {}
    fail: list[tuple[int, str]] = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
        self._record(form)
        if FakeStripe.fail:
            return self._error(*FakeStripe.fail.pop(0))
        if self.path == "/v1/checkout/sessions":
            return self._create({k: v[0] for k, v in form.items()})
        parts = self.path.strip("/").split("/")
        if parts[:3] == ["v1", "checkout", "sessions"] and parts[4:] == ["expire"]:
            session = FakeStripe.sessions.get(parts[3])
            if session is None:
                return self._error(404, "No such checkout.session")
            if session["status"] != "open":
                return self._error(
                    400, "Only Checkout Sessions with a status of open can be expired."
                )
            session["status"] = "expired"
            return self._reply(200, session)
        return self._error(404, "Unrecognized request URL")

    def do_GET(self):
        self._record({})
        if FakeStripe.fail:
            return self._error(*FakeStripe.fail.pop(0))
        session = FakeStripe.sessions.get(self.path.rsplit("/", 1)[-1])
        if session is None:
            return self._error(404, "No such checkout.session")
        return self._reply(200, session)

    def _create(self, form):
        number = len(FakeStripe.sessions) + 1
        session_id = f"cs_test_fake{number:04d}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
            "currency": form["line_items[0][price_data][currency]"],
            "client_reference_id": form.get("client_reference_id"),
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            "mode": form["mode"],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": form["success_url"],
            "cancel_url": form["cancel_url"],
            "expires_at": int(form["expires_at"]),
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
        }
        FakeStripe.sessions[session_id] = session
        return self._reply(200, session)

    def _record(self, form):
        FakeStripe.requests.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "form": form}
        )

    def _error(self, status, message):
        self._reply(status, {"error": {"message": message, "type": "invalid_request_error"}})

    def _reply(self, status, answer):
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def serve():
    """Start the fake; returns (server, base URL). Call ``server.shutdown()`` after."""
    FakeStripe.requests, FakeStripe.sessions, FakeStripe.fail = [], {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def event(kind: str, session: dict, *, created: int | None = None) -> bytes:
    """A webhook event as Stripe sends it."""
    return json.dumps(
        {
            "id": f"evt_{session['id']}_{kind}",
            "object": "event",
            "type": kind,
            "created": created or int(time.time()),
            "data": {"object": session},
        }
    ).encode()


def signature(payload: bytes, *, at: int | None = None, secret: str = WEBHOOK_SECRET) -> str:
    """The Stripe-Signature header for ``payload`` signed at ``at``."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"
