"""Attachments through the public send path: presign → PUT → send → history → download → delete."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import RunningServer, auth, create_dialog, uid, user_token
from tests.integration.test_attachments import backend, moto_url, png, upload

__all__ = ["backend", "moto_url"]  # fixtures re-used from test_attachments


async def test_send_with_attachments_only_and_download(backend: RunningServer) -> None:
    alice, bob, outsider = uid("a"), uid("b"), uid("x")
    ta, tb, tx_ = user_token(alice), user_token(bob), user_token(outsider)
    async with httpx.AsyncClient(base_url=backend.url, timeout=30) as http:
        dialog = await create_dialog(http, participants=[alice, bob])
        did = dialog["id"]
        image = png(1000, 500)
        key = await upload(http, ta, did, "photo.png", "image/png", image)
        doc_key = await upload(http, ta, did, "notes.txt", "text/plain", b"hello")

        sent = await http.post(
            f"/api/v1/dialogs/{did}/messages",
            json={"content": "", "attachments": [{"s3_key": key}, {"s3_key": doc_key}]},
            headers=auth(ta),
        )
        assert sent.status_code == 201, sent.text
        message = sent.json()["data"]
        assert [a["filename"] for a in message["attachments"]] == ["photo.png", "notes.txt"]
        photo = message["attachments"][0]
        assert (photo["width"], photo["height"], photo["size"]) == (1000, 500, len(image))

        # The same upload cannot be attached twice; a foreign user cannot use it either.
        again = await http.post(
            f"/api/v1/dialogs/{did}/messages", json={"content": "x", "attachments": [{"s3_key": key}]}, headers=auth(tb)
        )
        assert again.status_code == 404
        assert again.json()["error"]["code"] == "ATTACHMENT_NOT_FOUND"
        too_many = await http.post(
            f"/api/v1/dialogs/{did}/messages",
            json={"content": "x", "attachments": [{"s3_key": f"{did}/{i:032x}/f.txt"} for i in range(11)]},
            headers=auth(ta),
        )
        assert too_many.status_code == 400
        assert too_many.json()["error"]["code"] == "TOO_MANY_ATTACHMENTS"
        empty = await http.post(f"/api/v1/dialogs/{did}/messages", json={"content": ""}, headers=auth(ta))
        assert empty.status_code == 400

        history = await http.get(f"/api/v1/dialogs/{did}/messages", headers=auth(tb))
        listed: dict[str, Any] = next(m for m in history.json()["data"]["messages"] if m["id"] == message["id"])
        assert len(listed["attachments"]) == 2

        link = await http.get(f"/api/v1/attachments/{photo['id']}/url", headers=auth(tb))
        assert link.status_code == 200, link.text
        urls = link.json()["data"]
        base = backend.url
        got = await http.get(urls["url"] if urls["url"].startswith("http") else base + urls["url"])
        assert got.status_code == 200 and got.content == image
        assert urls["thumbnail_url"]
        hidden = await http.get(f"/api/v1/attachments/{photo['id']}/url", headers=auth(tx_))
        assert hidden.status_code == 404

        deleted = await http.delete(f"/api/v1/dialogs/{did}/messages/{message['id']}", headers=auth(ta))
        assert deleted.status_code == 204
        gone = await http.get(f"/api/v1/attachments/{photo['id']}/url", headers=auth(tb))
        assert gone.status_code == 404
