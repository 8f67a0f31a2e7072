"""The SMS gateway adapter (Sveve's HTTP API) against a local fake gateway started by the
test: real HTTP requests, the gateway's documented JSON answers (R-COM-1, R-COM-4)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from django_scopes import scopes_disabled

from comms import services, sms
from comms.errors import PermanentFailure, TemporaryFailure
from comms.models import OutboundMessage
from comms.sms.sveve import SveveBackend, gateway_number


class FakeSveve(BaseHTTPRequestHandler):
    """Answers POST /SMS/SendMessage as Sveve does; ``answers`` queues what comes next:
    (HTTP status, JSON body)."""

    requests: list[dict] = []
    answers: list[tuple[int, dict | str]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        FakeSveve.requests.append(
            {"path": self.path, "type": self.headers["Content-Type"], "json": json.loads(body)}
        )
        status, answer = (
            FakeSveve.answers.pop(0)
            if FakeSveve.answers
            else (200, {"response": {"msgOkCount": 1, "stdSMSCount": 1, "ids": [42824112]}})
        )
        data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    FakeSveve.requests, FakeSveve.answers = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSveve)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings.SMS_BACKEND = "sveve"
    settings.SMS_URL = f"http://127.0.0.1:{server.server_port}/SMS/SendMessage"
    settings.SMS_TOKEN = "klubben:api-passord"
    yield FakeSveve
    server.shutdown()
    server.server_close()


def backend() -> SveveBackend:
    return sms.get_backend()


def test_success_posts_the_documented_json_and_returns_the_id(gateway):
    message_id = backend().send("DemoA", "+4791234567", "Hei på deg 😀", reference="outbox-7")
    assert message_id == "42824112"
    [request] = gateway.requests
    assert request["path"] == "/SMS/SendMessage"
    assert request["type"].startswith("application/json")
    assert request["json"] == {
        "user": "klubben",
        "passwd": "api-passord",
        "to": "91234567",
        "msg": "Hei på deg 😀",
        "from": "DemoA",
        "f": "json",
        "ref": "outbox-7",
    }


def test_5xx_is_temporary(gateway):
    gateway.answers = [(503, "<html>Service Unavailable</html>")]
    with pytest.raises(TemporaryFailure, match=r"unavailable \(HTTP 503\)"):
        backend().send("DemoA", "+4791234567", "Hei")


def test_429_is_temporary(gateway):
    gateway.answers = [(429, {})]
    with pytest.raises(TemporaryFailure):
        backend().send("DemoA", "+4791234567", "Hei")


def test_4xx_is_permanent(gateway):
    gateway.answers = [(400, {})]
    with pytest.raises(PermanentFailure, match=r"refused the message \(HTTP 400\)"):
        backend().send("DemoA", "+4791234567", "Hei")


def test_bad_credentials_are_permanent(gateway):
    gateway.answers = [(401, {})]
    with pytest.raises(PermanentFailure, match="refused our credentials"):
        backend().send("DemoA", "+4791234567", "Hei")


def test_fatal_error_in_a_200_answer_is_permanent(gateway):
    gateway.answers = [
        (200, {"response": {"msgOkCount": 0, "stdSMSCount": 0, "fatalError": "Feil passord"}})
    ]
    with pytest.raises(PermanentFailure, match="Feil passord"):
        backend().send("DemoA", "+4791234567", "Hei")


def test_refused_number_is_permanent(gateway):
    gateway.answers = [
        (
            200,
            {
                "response": {
                    "msgOkCount": 0,
                    "stdSMSCount": 0,
                    "errors": [{"number": "4799999999", "message": "Ugyldig nummer"}],
                }
            },
        )
    ]
    with pytest.raises(PermanentFailure, match="refused the number: Ugyldig nummer"):
        backend().send("DemoA", "+4799999999", "Hei")


def test_unreadable_answer_is_temporary(gateway):
    gateway.answers = [(200, "not json")]
    with pytest.raises(TemporaryFailure, match="could not read"):
        backend().send("DemoA", "+4791234567", "Hei")


def test_gateway_down_is_temporary(settings):
    settings.SMS_BACKEND = "sveve"
    settings.SMS_URL = "http://127.0.0.1:9/SMS/SendMessage"  # discard port: nobody answers
    settings.SMS_TOKEN = "klubben:api-passord"
    with pytest.raises(TemporaryFailure, match="could not be reached"):
        backend().send("DemoA", "+4791234567", "Hei")


def test_through_the_outbox(gateway, club, person):
    """R-COM-4: a 5xx leaves the SMS queued for a retry; the next try sends it and stores
    the gateway's id; the sender is the club's SMS sender name."""
    message = services.queue_sms(
        club=club, person=person, to_number=person.mobile, text="Hei", idempotency_key="gw"
    )
    gateway.answers = [(502, "Bad gateway")]
    assert services.send_message(message.pk) == 60
    with scopes_disabled():
        OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    assert services.send_message(message.pk) is None
    with scopes_disabled():
        message = OutboundMessage.objects.get(pk=message.pk)
    assert (message.status, message.provider_message_id) == ("sent", "42824112")
    assert [r["json"]["from"] for r in gateway.requests] == ["DemoA", "DemoA"]


def test_missing_configuration_is_loud(settings):
    settings.SMS_BACKEND = "sveve"
    settings.SMS_URL, settings.SMS_TOKEN = "", ""
    with pytest.raises(ImproperlyConfigured, match="SMS_URL"):
        sms.get_backend()
    settings.SMS_URL = "https://sveve.no/SMS/SendMessage"
    with pytest.raises(ImproperlyConfigured, match="SMS_TOKEN"):
        sms.get_backend()
    settings.SMS_BACKEND = "nonsense"
    with pytest.raises(ImproperlyConfigured, match="not a known backend"):
        sms.get_backend()


def test_numbers_in_the_gateways_format():
    assert gateway_number("+4791234567") == "91234567"
    assert gateway_number("+46701234567") == "0046701234567"
