"""UUIDv7 identifiers: time-ordered, so primary-key indexes stay append-mostly."""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    value = uuid6.uuid7()
    return uuid.UUID(bytes=value.bytes)
