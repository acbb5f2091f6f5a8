"""History paging (SPEC §5.3): before / after / around, edges, has_more flags, stability under writes."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx

from tests.conftest import auth, create_dialog, uid, user_token


def H(user_id: str) -> dict[str, str]:
    return auth(user_token(user_id))


async def _seed(http: httpx.AsyncClient, n: int) -> tuple[str, str, list[str]]:
    """A dialog with n messages: its "created" system message (seq 1), then n - 1 sent by one user."""
    a = uid()
    d = await create_dialog(http, participants=[a])
    ids = _ids(await _page(http, d["id"], a))
    assert len(ids) == 1
    for i in range(n - 1):
        r = await http.post(f"/api/v1/dialogs/{d['id']}/messages", json={"content": f"m{i}"}, headers=H(a))
        assert r.status_code == 201, r.text
        ids.append(r.json()["data"]["id"])
    return d["id"], a, ids


async def _page(http: httpx.AsyncClient, dialog_id: str, user: str, **params: Any) -> dict[str, Any]:
    r = await http.get(f"/api/v1/dialogs/{dialog_id}/messages", params=params, headers=H(user))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


def _ids(page: dict[str, Any]) -> list[str]:
    return [m["id"] for m in page["messages"]]


async def test_latest_and_paging_back(http: httpx.AsyncClient) -> None:
    d, a, ids = await _seed(http, 7)
    p = await _page(http, d, a, limit=3)
    assert _ids(p) == ids[4:] and p["has_more_before"] and not p["has_more_after"]
    p = await _page(http, d, a, limit=3, before=ids[4])
    assert _ids(p) == ids[1:4] and p["has_more_before"] and p["has_more_after"]
    p = await _page(http, d, a, limit=3, before=ids[1])
    assert _ids(p) == ids[:1] and not p["has_more_before"] and p["has_more_after"]
    p = await _page(http, d, a, limit=3, before=ids[0])  # before the first: empty
    assert _ids(p) == [] and not p["has_more_before"] and p["has_more_after"]
    p = await _page(http, d, a)
    assert _ids(p) == ids and not p["has_more_before"] and not p["has_more_after"]


async def test_after(http: httpx.AsyncClient) -> None:
    d, a, ids = await _seed(http, 5)
    p = await _page(http, d, a, limit=2, after=ids[0])
    assert _ids(p) == ids[1:3] and p["has_more_before"] and p["has_more_after"]
    p = await _page(http, d, a, limit=2, after=ids[2])
    assert _ids(p) == ids[3:] and p["has_more_before"] and not p["has_more_after"]
    p = await _page(http, d, a, limit=2, after=ids[-1])  # after the last: empty
    assert _ids(p) == [] and p["has_more_before"] and not p["has_more_after"]


async def test_around(http: httpx.AsyncClient) -> None:
    d, a, ids = await _seed(http, 9)
    p = await _page(http, d, a, limit=5, around=ids[4])
    assert _ids(p) == ids[2:7] and p["has_more_before"] and p["has_more_after"]
    p = await _page(http, d, a, limit=5, around=ids[0])
    assert _ids(p) == ids[:5] and not p["has_more_before"] and p["has_more_after"]
    p = await _page(http, d, a, limit=5, around=ids[-1])
    assert _ids(p)[-1] == ids[-1] and ids[-1] in _ids(p) and not p["has_more_after"] and p["has_more_before"]
    p = await _page(http, d, a, limit=1, around=ids[3])
    assert _ids(p) == [ids[3]]


async def test_bad_queries(http: httpx.AsyncClient) -> None:
    d, a, ids = await _seed(http, 2)
    url = f"/api/v1/dialogs/{d}/messages"
    r = await http.get(url, params={"before": str(uuid.uuid4())}, headers=H(a))
    assert r.status_code == 404 and r.json()["error"]["code"] == "MESSAGE_NOT_FOUND"
    _other, _b, foreign = await _seed(http, 1)
    r = await http.get(url, params={"after": foreign[0]}, headers=H(a))
    assert r.status_code == 404 and r.json()["error"]["code"] == "MESSAGE_NOT_FOUND"
    r = await http.get(url, params={"before": ids[1], "after": ids[0]}, headers=H(a))
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_INPUT"
    r = await http.get(url, params={"around": ids[1], "after": ids[0]}, headers=H(a))
    assert r.status_code == 400
    for params in ({"limit": 0}, {"limit": 101}, {"before": "nope"}):
        r = await http.get(url, params=params, headers=H(a))
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_INPUT", params


async def test_new_dialog_holds_only_its_created_message(http: httpx.AsyncClient) -> None:
    a, b = uid(), uid()
    d = await create_dialog(http, participants=[a, b])
    for user in (a, b):
        p = await _page(http, d["id"], user)
        [m] = p["messages"]
        assert m["message_type"] == "system" and m["sender_id"] is None
        assert json.loads(m["content"]) == {"event": "created", "user_id": None, "display_name": None}
        # Already read by everyone who was in the dialog when it was created.
        assert p["first_unread_message_id"] is None
        assert not p["has_more_before"] and not p["has_more_after"]
        assert (await http.get("/api/v1/unread", headers=H(user))).json()["data"] == {"total": 0, "dialogs": {}}
    item = (await http.get(f"/api/v1/dialogs/{d['id']}", headers=H(a))).json()["data"]
    assert item["unread_count"] == 0 and item["last_message"]["id"] == m["id"]
    # Before the first message: nothing, and the anchor itself is "after".
    p = await _page(http, d["id"], a, before=m["id"])
    assert p["messages"] == [] and not p["has_more_before"] and p["has_more_after"]


async def test_paging_forward_while_others_write(http: httpx.AsyncClient) -> None:
    """Following `after=` while sends race in never skips or doubles a message."""
    a, b = uid(), uid()
    d = await create_dialog(http, participants=[a, b])
    url = f"/api/v1/dialogs/{d['id']}/messages"
    first = (await http.post(url, json={"content": "start"}, headers=H(a))).json()["data"]["id"]

    async def writer(user: str) -> None:
        for i in range(15):
            r = await http.post(url, json={"content": f"{user} {i}"}, headers=H(user))
            assert r.status_code == 201

    seen: list[str] = [first]

    async def reader() -> None:
        for _ in range(60):
            p = await _page(http, d["id"], a, after=seen[-1], limit=4)
            seen.extend(_ids(p))
            await asyncio.sleep(0.005)

    await asyncio.gather(writer(a), writer(b), reader())
    while True:
        p = await _page(http, d["id"], a, after=seen[-1], limit=100)
        if not p["messages"]:
            break
        seen.extend(_ids(p))
    everything = _ids(await _page(http, d["id"], a, limit=100))
    assert len(everything) == 32  # the dialog's "created" message, "start", 2 x 15
    assert seen == everything[1:]


async def test_seq_numbers_messages_and_after_seq_catches_up_past_a_deleted_anchor(http: httpx.AsyncClient) -> None:
    d, a, ids = await _seed(http, 6)
    page = await _page(http, d, a)
    assert [m["seq"] for m in page["messages"]] == [1, 2, 3, 4, 5, 6]
    # A client saw up to seq 4; then message 4 is deleted: `after=<its id>` is gone, `after_seq=4` is not.
    r = await http.delete(f"/api/v1/dialogs/{d}/messages/{ids[3]}", headers=H(a))
    assert r.status_code == 204
    r = await http.get(f"/api/v1/dialogs/{d}/messages", params={"after": ids[3]}, headers=H(a))
    assert r.status_code == 404
    p = await _page(http, d, a, after_seq=4, limit=1)
    assert _ids(p) == [ids[4]] and p["has_more_before"] and p["has_more_after"]
    p = await _page(http, d, a, after_seq=5)
    assert _ids(p) == [ids[5]] and p["has_more_before"] and not p["has_more_after"]
    p = await _page(http, d, a, after_seq=0, limit=3)
    assert [m["seq"] for m in p["messages"]] == [1, 2, 3] and not p["has_more_before"] and p["has_more_after"]
    p = await _page(http, d, a, after_seq=99)
    assert _ids(p) == [] and p["has_more_before"] and not p["has_more_after"]
    # New messages continue the sequence; the deleted number is never reused.
    r = await http.post(f"/api/v1/dialogs/{d}/messages", json={"content": "next"}, headers=H(a))
    assert r.json()["data"]["seq"] == 7
    for params in ({"after_seq": -1}, {"after_seq": 2, "after": ids[0]}, {"after_seq": "x"}):
        r = await http.get(f"/api/v1/dialogs/{d}/messages", params=params, headers=H(a))
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_INPUT", params
