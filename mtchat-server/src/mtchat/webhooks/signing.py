"""Both signatures of SPEC §5.5, and the receiver-side check.

- simple: ``X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``
- Standard Webhooks: ``webhook-id``, ``webhook-timestamp``,
  ``webhook-signature: v1,<base64 HMAC-SHA256(key, f"{id}.{timestamp}.{body}")>``; a secret that starts
  with ``whsec_`` is base64 after the prefix, any other secret is used as its UTF-8 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping


class WebhookVerificationError(Exception):
    pass


def _standard_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_") :])
    return secret.encode()


def simple_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_headers(secret: str, msg_id: str, event: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "X-Webhook-Event": event,
        "X-Webhook-Id": msg_id,
        "X-Webhook-Signature": simple_signature(secret, body),
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": standard_signature(secret, msg_id, ts, body),
    }


def verify(body: bytes, headers: Mapping[str, str], secret: str, *, tolerance_seconds: int = 300) -> None:
    """Check a webhook MTChat sent; raise WebhookVerificationError if it is not genuine.

    Prefers the replay-protected Standard Webhooks signature (timestamp within ``tolerance_seconds``);
    falls back to ``X-Webhook-Signature`` when only that one is present. Header names are
    case-insensitive.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = lower.get("webhook-id"), lower.get("webhook-timestamp"), lower.get("webhook-signature")
    if msg_id and ts and sigs:
        try:
            timestamp = int(ts)
        except ValueError as exc:
            raise WebhookVerificationError("bad webhook-timestamp") from exc
        if abs(time.time() - timestamp) > tolerance_seconds:
            raise WebhookVerificationError("webhook-timestamp outside the tolerance (replay?)")
        expected = standard_signature(secret, msg_id, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in sigs.split()):
            return
        raise WebhookVerificationError("webhook-signature does not match")
    simple = lower.get("x-webhook-signature")
    if simple and hmac.compare_digest(simple_signature(secret, body), simple):
        return
    raise WebhookVerificationError("no valid signature")
