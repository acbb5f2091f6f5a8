"""The reconnect contract (SPEC §5.4): after a reconnect the client fetches what it missed and no
message is lost or doubled.

A client drops its socket and reconnects several times while other participants keep sending
(concurrent asyncio senders, so sends commit while the old socket still has deliveries in flight,
while the client is away, while the new socket opens and while the catch-up pages are read). It does
what the SDK does: it holds messages by id and tracks ``confirmed``, the highest ``seq`` up to which it
has every message; after each reconnect it pages through ``after_seq=<confirmed>`` until
``has_more_after`` is false. That is the part that matters: two concurrent sends can reach a socket in
the opposite of their seq order (events are published after commit), so catching up "after the newest
message seen" (``after=<id>``) lost the earlier one about once in 45 runs; catching up after the
highest *contiguous* seq cannot. In the end the timeline must be the dialog's history exactly, and the
server must never have doubled anything itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from mtchat.events.realtime import MessageNew
from tests.conftest import RunningServer, auth, create_dialog, uid, user_token
from tests.integration.ws_helpers import open_ws

SENDERS = 3
ROUNDS = 10
LIVE_PER_ROUND = 4  # messages the client sees live before its socket goes away
PAGE = 4  # small pages: the catch-up pages through has_more_after while writes go on
DEADLINE = 60.0  # bounded waits; generous for a shared 2-core machine
# Pauses between the old socket closing and the new one opening: none, a few ms, a bit more.
JITTERS = (0.0, 0.0, 0.003, 0.01, 0.03, 0.08)


class Socket:
    """One client socket: a task appends every `message.new` of our dialog, in arrival order."""

    def __init__(self, ws: ClientConnection, dialog_id: str) -> None:
        self.ws = ws
        self.dialog_id = dialog_id
        self.received: list[dict[str, Any]] = []
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame.get("type") == "message.new" and frame.get("dialog_id") == self.dialog_id:
                    MessageNew.model_validate(frame)
                    self.received.append(frame["message"])

    async def wait_received(self, count: int, what: str) -> None:
        await _wait_for(lambda: len(self.received) >= count, lambda: f"{what}: {len(self.received)} of {count}")

    async def drop(self) -> None:
        """The connection dies: whatever is still in flight is never processed by the client."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.ws.close()


async def _page(http: httpx.AsyncClient, dialog_id: str, user: str, **params: Any) -> dict[str, Any]:
    resp = await http.get(f"/api/v1/dialogs/{dialog_id}/messages", params=params, headers=auth(user_token(user)))
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


async def _full_history(http: httpx.AsyncClient, dialog_id: str, user: str) -> list[str]:
    """The server's order of the whole dialog (seq order), paging back from the latest page."""
    page = await _page(http, dialog_id, user, limit=100)
    ids = [m["id"] for m in page["messages"]]
    while page["has_more_before"]:
        page = await _page(http, dialog_id, user, limit=100, before=ids[0])
        ids = [m["id"] for m in page["messages"]] + ids
    return ids


def _contiguous(timeline: dict[str, dict[str, Any]]) -> int:
    """The highest seq up to which the client holds every message (nothing is deleted in this test)."""
    held = {m["seq"] for m in timeline.values()}
    confirmed = 0
    while confirmed + 1 in held:
        confirmed += 1
    return confirmed


async def _wait_for(condition: Callable[[], bool], what: Callable[[], str]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not condition():
        assert loop.time() < deadline, f"timed out after {DEADLINE}s waiting for {what()}"
        await asyncio.sleep(0.01)


async def test_catch_up_after_reconnect_loses_and_doubles_nothing(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    reader, senders = uid("reader"), [uid("sender") for _ in range(SENDERS)]
    dialog = await create_dialog(http, participants=[reader, *senders])
    dialog_id = dialog["id"]
    rng = random.Random(4)  # timing jitter only

    committed: list[str] = []  # every id a POST answered 201 for: what must reach the client
    stop = asyncio.Event()

    async def send_until_stopped(user: str) -> None:
        n = 0
        while not stop.is_set():
            resp = await http.post(
                f"/api/v1/dialogs/{dialog_id}/messages",
                json={"content": f"{user} #{n}"},
                headers=auth(user_token(user)),
            )
            assert resp.status_code == 201, resp.text
            committed.append(resp.json()["data"]["id"])
            n += 1
            await asyncio.sleep(rng.uniform(0, 0.004))

    # The client: its timeline merged by id, like the SDK's (mergeMessages).
    timeline: dict[str, dict[str, Any]] = {}
    sockets: list[Socket] = []
    catch_ups: list[tuple[int, list[str]]] = []  # (after_seq, ids returned across all pages)

    try:
        sock = Socket(await open_ws(server.url, user_token(reader)), dialog_id)
        sockets.append(sock)
        for m in (await _page(http, dialog_id, reader))["messages"]:  # the initial load
            timeline[m["id"]] = m
        before_senders = set(timeline)

        tasks = [asyncio.create_task(send_until_stopped(user)) for user in senders]
        try:
            for round_ in range(ROUNDS):
                # Live: the socket carries new messages (plus, after a reconnect, the overlap); then it
                # dies with whatever is still in flight, while the senders go on.
                await sock.wait_received(len(sock.received) + LIVE_PER_ROUND, f"live messages (round {round_})")
                await sock.drop()
                for m in sock.received:
                    timeline[m["id"]] = m
                confirmed = _contiguous(timeline)

                await asyncio.sleep(rng.choice(JITTERS))
                sock = Socket(await open_ws(server.url, user_token(reader)), dialog_id)
                sockets.append(sock)

                # Catch-up, racing the senders and the new socket.
                fetched: list[str] = []
                after_seq = confirmed
                while True:
                    page = await _page(http, dialog_id, reader, after_seq=after_seq, limit=PAGE)
                    for m in page["messages"]:
                        timeline[m["id"]] = m
                        fetched.append(m["id"])
                    if not page["has_more_after"]:
                        break
                    assert page["messages"], "has_more_after with an empty page"
                    after_seq = page["messages"][-1]["seq"]
                catch_ups.append((confirmed, fetched))
        finally:
            stop.set()
            await asyncio.gather(*tasks)

        # Everything committed after the last catch-up reaches the last socket.
        def missing() -> set[str]:
            return set(committed) - set(timeline) - {m["id"] for m in sock.received}

        # Bounded; a message that never comes is reported below, with the story of every round.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE / 2
        while missing() and loop.time() < deadline:
            await asyncio.sleep(0.05)
        await sock.drop()
        for m in sock.received:
            timeline[m["id"]] = m
    finally:
        for s in sockets:  # also on failure: no reader task outlives the test
            await s.drop()

    truth = await _full_history(http, dialog_id, reader)
    position = {mid: i for i, mid in enumerate(truth)}
    assert len(position) == len(truth), "history lists a message twice"
    # History holds exactly what was there before plus every acknowledged send.
    assert len(committed) == len(set(committed))
    assert set(truth) == before_senders | set(committed)

    def story() -> str:
        """Each round in history positions: what the old socket delivered last, the catch-up
        cursor and what it returned, what the new socket delivered first."""

        def at(ids: list[str]) -> list[int]:
            return [position[i] for i in ids]

        rounds = zip(catch_ups, sockets, sockets[1:], strict=False)
        return "\n".join(
            f"round {r}: old socket ...{at([m['id'] for m in old.received])[-5:]}"
            f" | after_seq={after_seq} -> {at(fetched)}"
            f" | new socket {at([m['id'] for m in new.received])[:5]}..."
            for r, ((after_seq, fetched), old, new) in enumerate(rounds)
        )

    # Nothing lost, nothing extra: the client's timeline, ordered by seq as the SDK does, is the dialog.
    lost = [position[i] for i in truth if i not in timeline]
    assert not lost, f"messages at history positions {lost} never reached the client:\n{story()}"
    ordered = [m["id"] for m in sorted(timeline.values(), key=lambda m: m["seq"])]
    assert ordered == truth, f"client timeline differs from the server's history:\n{story()}"
    assert [m["seq"] for m in sorted(timeline.values(), key=lambda m: m["seq"])] == list(range(1, len(truth) + 1))

    # The server never doubled anything: no socket carried a message twice ...
    for i, s in enumerate(sockets):
        twice = [mid for mid, n in Counter(m["id"] for m in s.received).items() if n > 1]
        assert not twice, f"socket {i} delivered {twice} more than once"
    # ... and each catch-up is exactly the run of history right after its cursor: no gaps, no
    # repeats across pages, seq order.
    for after_seq, fetched in catch_ups:  # seq n is history position n - 1 (nothing deleted)
        assert fetched == truth[after_seq : after_seq + len(fetched)], (
            f"catch-up after seq {after_seq} is not contiguous:\n{story()}"
        )

    # The catch-up path was really exercised: sends landed while the client was away.
    assert len(committed) >= ROUNDS * LIVE_PER_ROUND
    assert any(fetched for _, fetched in catch_ups), catch_ups
