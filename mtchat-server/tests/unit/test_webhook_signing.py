from __future__ import annotations

import base64
import json
import time

import pytest
from standardwebhooks.webhooks import Webhook

from mtchat.webhooks import WebhookVerificationError, sign_headers, verify

BODY = json.dumps({"id": "e1", "event": "message.new", "data": {"x": 1}}).encode()


@pytest.mark.parametrize("secret", ["plain-secret", "whsec_" + base64.b64encode(b"0123456789abcdef0123").decode()])
def test_own_verify_accepts_both_signatures(secret: str) -> None:
    headers = sign_headers(secret, "e1", "message.new", BODY)
    verify(BODY, headers, secret)
    only_simple = {k: v for k, v in headers.items() if not k.startswith("webhook-")}
    verify(BODY, only_simple, secret)


def test_standard_webhooks_library_accepts_our_signature() -> None:
    secret = "whsec_" + base64.b64encode(b"a-very-secret-key-for-tests").decode()
    headers = sign_headers(secret, "msg_1", "message.new", BODY)
    payload = Webhook(secret).verify(BODY, headers)
    assert payload["event"] == "message.new"


@pytest.mark.parametrize(
    "tamper",
    ["body", "secret", "old-timestamp", "no-headers"],
)
def test_verify_rejects(tamper: str) -> None:
    secret = "plain-secret"
    ts = int(time.time()) - 3600 if tamper == "old-timestamp" else None
    headers = sign_headers(secret, "e1", "message.new", BODY, timestamp=ts)
    body = BODY + b" " if tamper == "body" else BODY
    key = "other" if tamper == "secret" else secret
    if tamper == "no-headers":
        headers = {}
    with pytest.raises(WebhookVerificationError):
        verify(body, headers, key)
