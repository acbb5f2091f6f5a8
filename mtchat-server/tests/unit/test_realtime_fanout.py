"""Fan-out internals without sockets: the local registry, and the Redis wire format between processes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mtchat.realtime.memory import LocalRegistry, encode
from mtchat.realtime.redis import RedisHub


class FakeConn:
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.frames: list[str] = []
        self.resynced = False

    def deliver(self, frame: str) -> None:
        self.frames.append(frame)

    def resync(self) -> None:
        self.resynced = True


def test_registry_tracks_tabs_and_delivers_one_encoding_to_each() -> None:
    reg = LocalRegistry()
    bob1, bob2, ann = FakeConn("bob"), FakeConn("bob"), FakeConn("ann")
    assert reg.add(bob1) is True  # first local socket of bob
    assert reg.add(bob2) is False
    assert reg.add(ann) is True
    assert reg.count() == 3 and reg.users() == {"bob", "ann"}

    event = {"type": "message.new", "dialog_id": "d", "message": {"content": "<p>привет</p>"}}
    reg.deliver(["bob", "nobody"], event)
    assert bob1.frames == bob2.frames == [encode(event)] and ann.frames == []
    assert bob1.frames[0] is bob2.frames[0]  # encoded once
    assert json.loads(bob1.frames[0]) == event

    assert reg.remove(bob1) is False  # bob still has a tab
    assert reg.remove(bob1) is False  # twice is harmless
    assert reg.remove(bob2) is True
    assert reg.remove(FakeConn("ann")) is False  # not registered
    assert reg.users() == {"ann"} and reg.count() == 1
    assert reg.resync_all() == 1 and ann.resynced


def _hub(process_id: str) -> RedisHub:
    hub = RedisHub("redis://127.0.0.1:1/0")  # never connects: only the wire format is exercised
    hub.process_id = process_id
    return hub


@pytest.mark.parametrize("user", ["bob", 'b"o\\b', '],"event":{"x":1}}', "\u0431\u043e\u0431"])
def test_payload_round_trip_between_processes(user: str) -> None:
    sender, receiver = _hub("a" * 32), _hub("b" * 32)
    conn = FakeConn(user)
    receiver.local.add(conn)
    event: dict[str, Any] = {"type": "typing", "dialog_id": "d1", "user_id": "ann"}
    payload = sender._payload([user, "ann"], encode(event))
    assert json.loads(payload) == {"origin": "a" * 32, "recipients": [user, "ann"], "event": event}

    receiver._dispatch(payload.encode())
    assert conn.frames == [encode(event)]

    # The publisher's own copy coming back from Redis is skipped: it delivered locally already.
    own = FakeConn(user)
    sender.local.add(own)
    sender._dispatch(payload.encode())
    assert own.frames == []


def test_dispatch_accepts_plain_json_and_ignores_garbage() -> None:
    hub = _hub("c" * 32)
    conn = FakeConn("bob")
    hub.local.add(conn)
    event = {"type": "pong"}
    hub._dispatch(json.dumps({"recipients": ["bob"], "event": event}))
    assert [json.loads(f) for f in conn.frames] == [event]
    for junk in ("", "not json", "[1]", '{"recipients": "bob", "event": {}}', '{"origin":"x'):
        hub._dispatch(junk)
    assert len(conn.frames) == 1
