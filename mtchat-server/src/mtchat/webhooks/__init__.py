"""Webhooks: signing (both SPEC §5.5 signatures) and ``verify`` for Python hosts."""

from mtchat.webhooks.signing import WebhookVerificationError, sign_headers, verify

__all__ = ["WebhookVerificationError", "sign_headers", "verify"]
