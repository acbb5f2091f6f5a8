"""Messages (SPEC §5.3): send, get, edit, delete, permissions, idempotency, sanitizing, search."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mtchat.db.engine import make_engine
from mtchat.db.models import MessageEdit
from mtchat.services import messages as messages_service
from tests.conftest import RunningServer, auth, create_dialog, uid, user_token

SCOPE = {"tenant_uid": "t-msg", "scope_level1": [], "scope_level2": []}


def H(user_id: str, **kw: Any) -> dict[str, str]:
    return auth(user_token(user_id, **kw))


async def send(http: httpx.AsyncClient, dialog_id: str, user_id: str, content: str, **extra: Any) -> dict[str, Any]:
    r = await http.post(f"/api/v1/dialogs/{dialog_id}/messages", json={"content": content, **extra}, headers=H(user_id))
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def test_send_and_get_shape(http: httpx.AsyncClient) -> None:
    a, b = uid(), uid()
    d = await create_dialog(http, participants=[{"user_id": a, "display_name": "Alice"}, b])
    m = await send(http, d["id"], a, "hello world", client_message_id="c1")
    assert set(m) >= {
        "id", "dialog_id", "sender_id", "sender_name", "message_type", "content", "reply_to_id",
        "mentions", "attachments", "sent_at", "last_edited_at", "client_message_id",
    }  # fmt: skip
    assert m["sender_id"] == a and m["sender_name"] == "Alice" and m["message_type"] == "user"
    assert m["content"] == "<p>hello world</p>"
    assert m["attachments"] == [] and m["mentions"] == [] and m["last_edited_at"] is None
    assert m["client_message_id"] == "c1" and m["dialog_id"] == d["id"]
    r = await http.get(f"/api/v1/dialogs/{d['id']}/messages/{m['id']}", headers=H(b))
    assert r.status_code == 200 and r.json()["data"] == m


async def test_reply_to(http: httpx.AsyncClient) -> None:
    a, b = uid(), uid()
    d = await create_dialog(http, participants=[a, b])
    first = await send(http, d["id"], a, "question")
    reply = await send(http, d["id"], b, "answer", reply_to=first["id"])
    assert reply["reply_to_id"] == first["id"]
    other = await create_dialog(http, participants=[a])
    foreign = await send(http, other["id"], a, "elsewhere")
    r = await http.post(
        f"/api/v1/dialogs/{d['id']}/messages", json={"content": "x", "reply_to": foreign["id"]}, headers=H(a)
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "MESSAGE_NOT_FOUND"


async def test_potential_participant_and_outsider(http: httpx.AsyncClient) -> None:
    a, potential, outsider = uid(), uid(), uid()
    d = await create_dialog(http, participants=[a], scopes=[SCOPE])
    m = await send(http, d["id"], a, "members only")
    pot = H(potential, tenant="t-msg")
    out = H(outsider, tenant="other")
    base = f"/api/v1/dialogs/{d['id']}/messages"
    calls = [
        ("POST", base, {"content": "hi"}),
        ("GET", base, None),
        ("GET", f"{base}/{m['id']}", None),
        ("PUT", f"{base}/{m['id']}", {"content": "x"}),
        ("DELETE", f"{base}/{m['id']}", None),
        ("GET", f"{base}/{m['id']}/readers", None),
        ("POST", f"/api/v1/dialogs/{d['id']}/read", {"last_read_message_id": m["id"]}),
    ]
    for method, url, body in calls:
        r = await http.request(method, url, json=body, headers=pot)
        assert r.status_code == 403 and r.json()["error"]["code"] == "NOT_PARTICIPANT", (method, url, r.text)
        r = await http.request(method, url, json=body, headers=out)
        assert r.status_code == 404 and r.json()["error"]["code"] == "DIALOG_NOT_FOUND", (method, url, r.text)
    r = await http.post(f"/api/v1/dialogs/{uuid.uuid4()}/messages", json={"content": "x"}, headers=H(a))
    assert r.status_code == 404
    r = await http.get(f"{base}/{uuid.uuid4()}", headers=H(a))
    assert r.status_code == 404 and r.json()["error"]["code"] == "MESSAGE_NOT_FOUND"


async def test_invalid_input(http: httpx.AsyncClient) -> None:
    a = uid()
    d = await create_dialog(http, participants=[a])
    url = f"/api/v1/dialogs/{d['id']}/messages"
    for body in ({}, {"content": ""}, {"content": "x" * 50_001}, {"content": "<script>x</script>"}):
        r = await http.post(url, json=body, headers=H(a))
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_INPUT", (body, r.text)
    r = await http.post("/api/v1/dialogs/not-a-uuid/messages", json={"content": "x"}, headers=H(a))
    assert r.status_code == 400
    r = await http.post(url, json={"content": "x"})
    assert r.status_code == 401


async def test_edit_keeps_history_author_only(http: httpx.AsyncClient, server: RunningServer) -> None:
    a, b = uid(), uid()
    d = await create_dialog(http, participants=[a, b])
    m = await send(http, d["id"], a, "first version")
    url = f"/api/v1/dialogs/{d['id']}/messages/{m['id']}"
    r = await http.put(url, json={"content": "hijack"}, headers=H(b))
    assert r.status_code == 403 and r.json()["error"]["code"] == "NOT_MESSAGE_AUTHOR"
    r = await http.put(url, json={"content": "<em>second</em> <img src=x onerror=alert(1)>"}, headers=H(a))
    assert r.status_code == 200, r.text
    edited = r.json()["data"]
    assert edited["content"] == "<em>second</em>"
    assert edited["last_edited_at"] is not None and edited["sent_at"] == m["sent_at"]
    r = await http.put(url, json={"content": "third"}, headers=H(a))
    assert r.status_code == 200

    got = (await http.get(url, headers=H(b))).json()["data"]
    assert got["content"] == "<p>third</p>"
    assert await _edit_history(server, m["id"]) == ["<p>first version</p>", "<em>second</em>"]


async def _edit_history(server: RunningServer, message_id: str) -> list[str]:
    """Edit history is kept server-side only: read it straight from the database."""
    engine = make_engine(server.settings.sqlalchemy_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(MessageEdit.previous_content)
                .where(MessageEdit.message_id == uuid.UUID(message_id))
                .order_by(MessageEdit.edited_at, MessageEdit.id)
            )
            return [r[0] for r in rows]
    finally:
        await engine.dispose()


async def test_delete_author_only(http: httpx.AsyncClient) -> None:
    a, b = uid(), uid()
    d = await create_dialog(http, participants=[a, b])
    m = await send(http, d["id"], a, "to delete")
    url = f"/api/v1/dialogs/{d['id']}/messages/{m['id']}"
    r = await http.delete(url, headers=H(b))
    assert r.status_code == 403 and r.json()["error"]["code"] == "NOT_MESSAGE_AUTHOR"
    r = await http.delete(url, headers=H(a))
    assert r.status_code == 204 and r.content == b""
    assert (await http.get(url, headers=H(a))).status_code == 404
    assert (await http.delete(url, headers=H(a))).status_code == 404
    r = await http.get("/api/v1/dialogs/" + d["id"], headers=H(b))
    assert r.json()["data"]["unread_count"] == 0


async def test_client_message_id_idempotent_under_concurrency(http: httpx.AsyncClient) -> None:
    a, b = uid(), uid()
    d = await create_dialog(http, participants=[a, b])
    url = f"/api/v1/dialogs/{d['id']}/messages"
    body = {"content": "once", "client_message_id": "retry-1"}
    responses = await asyncio.gather(*(http.post(url, json=body, headers=H(a)) for _ in range(20)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 19 + [201], [r.text for r in responses if r.status_code not in (200, 201)]
    assert len({r.json()["data"]["id"] for r in responses}) == 1
    page = (await http.get(url, headers=H(a))).json()["data"]
    assert [m["content"] for m in page["messages"] if m["message_type"] == "user"] == ["<p>once</p>"]
    # The same client id from another user, or in another dialog, is a different message.
    await send(http, d["id"], b, "once", client_message_id="retry-1")
    r = await http.get(f"/api/v1/dialogs/{d['id']}", headers=H(a))
    assert r.json()["data"]["unread_count"] == 1


async def test_sanitized_end_to_end_with_mentions(http: httpx.AsyncClient) -> None:
    a, b = uid(), uid()
    d = await create_dialog(http, participants=[a, b])
    content = (
        f'<p onclick="x()">hi <span data-mention="{b}">@b</span> <span data-mention="nobody">@n</span>'
        '<script>alert(1)</script><a href="javascript:alert(1)">bad</a> <a href="https://ok.example">ok</a></p>'
    )
    m = await send(http, d["id"], a, content)
    assert m["mentions"] == [b]
    assert "script" not in m["content"] and "javascript" not in m["content"] and "onclick" not in m["content"]
    assert '<a href="https://ok.example" rel="noopener">ok</a>' in m["content"]
    got = (await http.get(f"/api/v1/dialogs/{d['id']}/messages/{m['id']}", headers=H(b))).json()["data"]
    assert got["content"] == m["content"]
    plain = await send(http, d["id"], a, "<3 & <b>bold</b>")
    assert plain["content"] == "&lt;3 &amp; bold"  # markup outside the allow-list is unwrapped
    escaped = await send(http, d["id"], a, "a & b > c")
    assert escaped["content"] == "<p>a &amp; b &gt; c</p>"


async def test_search_only_my_dialogs(http: httpx.AsyncClient) -> None:
    a, b, c = uid(), uid(), uid()
    word = uid("needle")
    mine = await create_dialog(http, participants=[a, b])
    theirs = await create_dialog(http, participants=[c], scopes=[SCOPE])
    hit = await send(http, mine["id"], b, f"find the {word} here")
    await send(http, theirs["id"], c, f"secret {word} elsewhere")
    await send(http, mine["id"], a, "nothing to see")
    # a matches the scope of the other dialog but is not a participant: still not searchable.
    r = await http.get("/api/v1/search/messages", params={"q": word.upper()}, headers=H(a, tenant="t-msg"))
    assert r.status_code == 200, r.text
    assert [m["id"] for m in r.json()["data"]] == [hit["id"]]
    r = await http.get("/api/v1/search/messages", params={"q": word}, headers=H(c))
    assert [m["dialog_id"] for m in r.json()["data"]] == [theirs["id"]]
    r = await http.get("/api/v1/search/messages", params={"q": "%"}, headers=H(uid()))
    assert r.json()["data"] == []
    r = await http.get("/api/v1/search/messages", params={"q": ""}, headers=H(a))
    assert r.status_code == 400


@pytest.mark.parametrize("scan_up_to", [1000, 0], ids=["scan-my-dialogs", "full-text-index"])
async def test_search_matches_every_word_and_survives_query_syntax(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, scan_up_to: int
) -> None:
    # Both PostgreSQL strategies (a user in few dialogs / in very many) must find the same messages.
    monkeypatch.setattr(messages_service, "SEARCH_SCAN_MY_DIALOGS_UP_TO", scan_up_to)
    a = uid()
    tag = uid("cargo").replace("-", "")  # one word, unique to this test
    d = await create_dialog(http, participants=[a])
    both = await send(http, d["id"], a, f"<p>Delivery of <strong>{tag}</strong> to Zanzibar port</p>")
    only_tag = await send(http, d["id"], a, f"{tag} stays in the warehouse")
    edited = await send(http, d["id"], a, "typo")
    r = await http.put(f"/api/v1/dialogs/{d['id']}/messages/{edited['id']}",
                       json={"content": f"{tag} fixed, Zanzibar again"}, headers=H(a))
    assert r.status_code == 200, r.text

    async def found(q: str) -> list[str]:
        r = await http.get("/api/v1/search/messages", params={"q": q}, headers=H(a))
        assert r.status_code == 200, (q, r.text)
        return [m["id"] for m in r.json()["data"]]

    # Newest first; every word must occur; case and word order do not matter; markup is not text.
    assert await found(tag) == [edited["id"], only_tag["id"], both["id"]]
    assert await found(f"zanzibar {tag.upper()}") == [edited["id"], both["id"]]
    assert await found(f"{tag} Zanz") == [edited["id"], both["id"]]  # a word's beginning is enough
    assert await found(f"{tag} strong") == []
    assert await found(f"{tag} nowhere") == []
    # Query-language characters are just characters: no error, no injection.
    for q in (f"{tag} & | ! ( ) : * '", f"'{tag}':*", f"{tag}\\", "!!!", "::*", "%_"):
        await found(q)
    assert await found(f"({tag}) & !zanzibar") == [edited["id"], both["id"]]
