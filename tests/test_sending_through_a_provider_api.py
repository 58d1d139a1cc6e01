"""The send path through a django-anymail backend (S4, S7), against a local HTTP server that speaks the
parts of Postmark's email API anymail uses: success with a MessageID, 500 / 429 (temporary), 422 with
ErrorCode 406 "inactive recipient" (permanent). Nothing is mocked inside anymail or our code."""

import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from campaigns import services
from campaigns.models import Campaign, CampaignStatus, Message, MessageStatus
from tests import factories
from tests.campaign_world import make_campaign, make_ready_to_send, run_until_idle

pytestmark = pytest.mark.django_db
SLOW_ANSWER_SECONDS = 2


class PostmarkLikeApi(BaseHTTPRequestHandler):
    calls: Counter = Counter()
    sent: list = []

    def do_POST(self):
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        to = payload["To"]
        self.calls[to] += 1
        if self.headers.get("X-Postmark-Server-Token") != "server-token":
            return self.reply(401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."})
        if to.startswith("busy") and self.calls[to] <= 1:
            return self.reply(500, {"ErrorCode": 100, "Message": "Maintenance"})
        if to.startswith("limited") and self.calls[to] <= 1:
            return self.reply(429, {"ErrorCode": 429, "Message": "Rate limit exceeded"})
        if to.startswith("inactive"):
            message = f"You tried to send to a recipient that has been marked as inactive.\nFound inactive addresses: {to}.\nInactive recipients are ones that have generated a hard bounce or a spam complaint."  # noqa: E501
            return self.reply(422, {"ErrorCode": 406, "Message": message})
        self.sent.append(payload)
        if to.startswith("slow"):
            time.sleep(SLOW_ANSWER_SECONDS)  # took the mail; the answer comes after the client stopped waiting
        return self.reply(200, {"To": to, "SubmittedAt": "2026-11-27T10:00:00Z", "MessageID": str(uuid.uuid4()),
                                "ErrorCode": 0, "Message": "OK"})  # fmt: skip

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def postmark_api(settings):
    PostmarkLikeApi.calls = Counter()
    PostmarkLikeApi.sent = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), PostmarkLikeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": "server-token",
        "POSTMARK_API_URL": f"http://127.0.0.1:{server.server_port}/",
    }
    settings.SENDING_RETRY_BASE_SECONDS = 0
    settings.SENDING_RATE_PER_DOMAIN = 10_000
    settings.PUBLIC_BASE_URL = "https://mail.okuru.example"
    yield PostmarkLikeApi
    server.shutdown()


def sent_to(tenant, owner, *addresses: str) -> Campaign:
    """A campaign to these addresses, sent in this process until nothing is left to do."""
    make_ready_to_send(tenant)
    for email in addresses:
        factories.make_lead(tenant, email=email, industry="IT")
    lead_list = factories.make_lead_list(tenant, filter={"all": [{"field": "industry", "op": "eq", "value": "IT"}]})
    campaign = make_campaign(tenant, owner, lead_list=lead_list)
    services.request_send(campaign)
    services.start_sending(campaign.pk)
    run_until_idle(campaign)
    return campaign


def test_provider_ids_retries_and_permanent_refusals(postmark_api, tenant_a, bob):
    campaign = sent_to(
        tenant_a, bob, "ok@kaisha.example", "busy@kaisha.example", "limited@kaisha.example", "inactive@kaisha.example"
    )

    messages = {message.email: message for message in Message.objects.filter(campaign=campaign)}
    for address in ("ok@kaisha.example", "busy@kaisha.example", "limited@kaisha.example"):
        assert messages[address].status == MessageStatus.SENT
        assert uuid.UUID(messages[address].provider_message_id)  # the provider's id, for its webhooks (K4)
    assert messages["busy@kaisha.example"].attempts == 2 and messages["limited@kaisha.example"].attempts == 2
    inactive = messages["inactive@kaisha.example"]
    assert inactive.status == MessageStatus.FAILED and inactive.attempts == 1
    assert "rejected" in inactive.error
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT

    payload = next(p for p in postmark_api.sent if p["To"] == "ok@kaisha.example")
    headers = {header["Name"]: header["Value"] for header in payload["Headers"]}
    token = messages["ok@kaisha.example"].token
    assert headers["List-Unsubscribe"] == f"<https://mail.okuru.example/u/{token}/>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert payload["ReplyTo"] == "reply@alpha.example"
    assert f"/t/o/{token}.gif" in payload["HtmlBody"] and payload["TextBody"]


def test_a_provider_that_took_the_mail_but_answered_too_late_is_not_sent_to_again(
    postmark_api, tenant_a, bob, settings
):
    settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": SLOW_ANSWER_SECONDS / 4}
    campaign = sent_to(tenant_a, bob, "slow@kaisha.example", "ok@kaisha.example")

    slow = Message.objects.get(campaign=campaign, email="slow@kaisha.example")
    assert slow.status == MessageStatus.UNKNOWN and slow.attempts == 1
    assert "did not answer" in slow.error
    assert postmark_api.calls["slow@kaisha.example"] == 1  # never posted a second time
    assert Message.objects.get(campaign=campaign, email="ok@kaisha.example").status == MessageStatus.SENT
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SENT
