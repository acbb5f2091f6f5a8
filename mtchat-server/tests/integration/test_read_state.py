"""Read state (SPEC §5.3): unread counts, POST …/read never backwards, first unread, receipts."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import auth, create_dialog, uid, user_token


def H(user_id: str) -> dict[str, str]:
    return auth(user_token(user_id))


async def send(http: httpx.AsyncClient, dialog_id: str, user: str, content: str) -> str:
    r = await http.post(f"/api/v1/dialogs/{dialog_id}/messages", json={"content": content}, headers=H(user))
    assert r.status_code == 201, r.text
    mid: str = r.json()["data"]["id"]
    return mid


async def unread(http: httpx.AsyncClient, dialog_id: str, user: str) -> int:
    r = await http.get(f"/api/v1/dialogs/{dialog_id}", headers=H(user))
    assert r.status_code == 200, r.text
    count: int = r.json()["data"]["unread_count"]
    return count


async def read(http: httpx.AsyncClient, dialog_id: str, user: str, mid: str) -> dict[str, Any]:
    r = await http.post(f"/api/v1/dialogs/{dialog_id}/read", json={"last_read_message_id": mid}, headers=H(user))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def first_unread(http: httpx.AsyncClient, dialog_id: str, user: str) -> str | None:
    r = await http.get(f"/api/v1/dialogs/{dialog_id}/messages", headers=H(user))
    value: str | None = r.json()["data"]["first_unread_message_id"]
    return value


async def test_unread_counts_across_three_users(http: httpx.AsyncClient) -> None:
    a, b, c = uid(), uid(), uid()
    d = (await create_dialog(http, participants=[a, b, c]))["id"]
    a1 = await send(http, d, a, "a1")
    a2 = await send(http, d, a, "a2")
    b1 = await send(http, d, b, "b1")
    # The sender's own messages never count; sending marks everything before as read for them.
    assert [await unread(http, d, u) for u in (a, b, c)] == [1, 0, 3]
    assert await first_unread(http, d, a) == b1
    assert await first_unread(http, d, b) is None
    assert await first_unread(http, d, c) == a1

    state = await read(http, d, c, a2)
    assert state == {"dialog_id": d, "last_read_message_id": a2, "unread_count": 1}
    assert await first_unread(http, d, c) == b1
    # Never backwards.
    state = await read(http, d, c, a1)
    assert state["last_read_message_id"] == a2 and state["unread_count"] == 1
    c1 = await send(http, d, c, "c1")
    assert [await unread(http, d, u) for u in (a, b, c)] == [2, 1, 0]
    state = await read(http, d, a, c1)
    assert state["unread_count"] == 0 and await first_unread(http, d, a) is None
    assert [await unread(http, d, u) for u in (a, b, c)] == [0, 1, 0]


async def test_delete_unread_message_decrements(http: httpx.AsyncClient) -> None:
    a, b = uid(), uid()
    d = (await create_dialog(http, participants=[a, b]))["id"]
    m1 = await send(http, d, a, "one")
    m2 = await send(http, d, a, "two")
    await read(http, d, b, m1)
    assert await unread(http, d, b) == 1
    r = await http.delete(f"/api/v1/dialogs/{d}/messages/{m1}", headers=H(a))
    assert r.status_code == 204
    assert await unread(http, d, b) == 1  # m1 was already read
    r = await http.delete(f"/api/v1/dialogs/{d}/messages/{m2}", headers=H(a))
    assert await unread(http, d, b) == 0


async def test_read_unknown_message(http: httpx.AsyncClient) -> None:
    a = uid()
    d = (await create_dialog(http, participants=[a]))["id"]
    other = (await create_dialog(http, participants=[a]))["id"]
    foreign = await send(http, other, a, "x")
    r = await http.post(f"/api/v1/dialogs/{d}/read", json={"last_read_message_id": foreign}, headers=H(a))
    assert r.status_code == 404 and r.json()["error"]["code"] == "MESSAGE_NOT_FOUND"
    r = await http.post(f"/api/v1/dialogs/{d}/read", json={}, headers=H(a))
    assert r.status_code == 400


async def test_readers(http: httpx.AsyncClient) -> None:
    a, b, c = uid(), uid(), uid()
    d = (await create_dialog(http, participants=[a, {"user_id": b, "display_name": "Bea"}, c]))["id"]
    m1 = await send(http, d, a, "one")
    m2 = await send(http, d, a, "two")
    url = f"/api/v1/dialogs/{d}/messages/{m1}/readers"
    r = await http.get(url, headers=H(a))
    assert r.status_code == 200 and r.json()["data"] == []  # the sender is never listed
    await read(http, d, b, m2)
    await read(http, d, c, m1)
    readers = (await http.get(url, headers=H(c))).json()["data"]
    assert sorted(x["user_id"] for x in readers) == sorted([b, c])
    assert next(x for x in readers if x["user_id"] == b) == {
        "user_id": b,
        "display_name": "Bea",
        "last_read_message_id": m2,
    }
    readers2 = (await http.get(f"/api/v1/dialogs/{d}/messages/{m2}/readers", headers=H(a))).json()["data"]
    assert [x["user_id"] for x in readers2] == [b]
    # c replying moves c's read marker: they have read m2 now.
    await send(http, d, c, "reply")
    readers2 = (await http.get(f"/api/v1/dialogs/{d}/messages/{m2}/readers", headers=H(a))).json()["data"]
    assert sorted(x["user_id"] for x in readers2) == sorted([b, c])
