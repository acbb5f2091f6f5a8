"""Scale-out fan-out and presence over Redis (used when ``REDIS_URL`` is set).

- Fan-out: every event is published once on ``mtchat:events`` as ``{origin, recipients, event}``;
  every process subscribes and hands it to the sockets of those recipients it holds locally. The
  publishing process delivers to its own sockets at once and skips its own copy coming back.
  The event is JSON-encoded once by the publisher and never decoded on the way to the sockets.
- Presence: one TTL key per (user, process), ``mtchat:presence:{user}:{process}``, refreshed by a
  heartbeat; live processes are listed in the ``mtchat:processes`` sorted set (score = last beat),
  so ``online()`` is a pipeline of EXISTS over (user, live process), never a keyspace scan.
- Redis going away: publishing falls back to local delivery, the subscriber and the heartbeat retry
  with exponential backoff and re-announce this process's presence once Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Collection, Sequence
from typing import Any

from redis.asyncio import Redis

from mtchat.realtime.hub import Delivery
from mtchat.realtime.memory import Connection, LocalRegistry, encode

log = logging.getLogger("mtchat.realtime")

CHANNEL = "mtchat:events"
_ORIGIN = '{"origin":"'
_RECIPIENTS = ',"recipients":'
_EVENT = ',"event":'
_DECODER = json.JSONDecoder()
PROCESSES_KEY = "mtchat:processes"


def presence_key(user_id: str, process_id: str) -> str:
    return f"mtchat:presence:{user_id}:{process_id}"


class RedisHub:
    def __init__(self, url: str, *, presence_ttl_seconds: int = 60) -> None:
        self.url = url
        self.ttl = max(3, int(presence_ttl_seconds))
        self.process_id = uuid.uuid4().hex
        self.local = LocalRegistry()
        self.redis: Redis = Redis.from_url(url, socket_connect_timeout=2, health_check_interval=10)
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()

    # lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._subscribe_loop(), name="redis-hub-subscribe"),
            asyncio.create_task(self._heartbeat_loop(), name="redis-hub-heartbeat"),
        ]
        # Give the subscription a moment so events published right after start are not missed.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=5)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            users = self.local.users()
            pipe = self.redis.pipeline(transaction=False)
            for user_id in users:
                pipe.delete(presence_key(user_id, self.process_id))
            pipe.zrem(PROCESSES_KEY, self.process_id)
            await pipe.execute()
        with contextlib.suppress(Exception):
            await self.redis.aclose()

    async def ping(self) -> None:
        await self.redis.ping()

    # fan-out -------------------------------------------------------------------------------------

    def _payload(self, recipients: Collection[str], frame: str) -> str:
        # The already-encoded event is spliced in as it is (see _dispatch for the way back).
        users = json.dumps(list(recipients), ensure_ascii=False)
        return f'{_ORIGIN}{self.process_id}"{_RECIPIENTS}{users}{_EVENT}{frame}}}'

    async def publish(self, recipients: Collection[str], event: dict[str, Any]) -> None:
        await self.publish_many([(recipients, event)])

    async def publish_many(self, deliveries: Sequence[Delivery]) -> None:
        frames = [(recipients, encode(event)) for recipients, event in deliveries if recipients]
        if not frames:
            return
        # Our own sockets right away (no round trip through Redis, and no lost events when Redis is
        # away); the other processes' through Redis.
        for recipients, frame in frames:
            self.local.deliver_frame(recipients, frame)
        try:
            if len(frames) == 1:
                await self.redis.publish(CHANNEL, self._payload(*frames[0]))
            else:
                pipe = self.redis.pipeline(transaction=False)
                for recipients, frame in frames:
                    pipe.publish(CHANNEL, self._payload(recipients, frame))
                await pipe.execute()
        except Exception:
            log.warning("redis publish failed; %d event(s) reached this process's sockets only", len(frames))

    async def _subscribe_loop(self) -> None:
        backoff = 0.1
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                if backoff > 0.1:
                    # Events published while we were not subscribed never reach our sockets (and
                    # their clients cannot tell): close them so they reconnect and catch up.
                    closed = self.local.resync_all()
                    log.info("redis pub/sub reconnected; %d local sockets asked to resync", closed)
                    await self._announce()
                backoff = 0.1
                self._subscribed.set()
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None or message.get("type") != "message":
                        continue
                    self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis pub/sub lost (%s); retrying in %.1fs", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _dispatch(self, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        try:
            # Our own publishers' shape: take the encoded event as it is.
            if not text.startswith(_ORIGIN):
                raise ValueError("not our payload")
            quote = text.index('"', len(_ORIGIN))
            origin = text[len(_ORIGIN) : quote]
            if not text.startswith(_RECIPIENTS, quote + 1):
                raise ValueError("not our payload")
            recipients, end = _DECODER.raw_decode(text, quote + 1 + len(_RECIPIENTS))
            if not text.startswith(_EVENT, end) or not text.endswith("}"):
                raise ValueError("not our payload")
            frame = text[end + len(_EVENT) : -1]
        except ValueError:
            # Any other JSON of the same shape still works, at the price of one decode + encode.
            try:
                body = json.loads(text)
                origin, recipients, event = body.get("origin"), body["recipients"], body["event"]
                frame = encode(event) if isinstance(event, dict) else ""
            except (ValueError, KeyError, TypeError, AttributeError):
                frame = ""
        if not frame or not isinstance(recipients, list):
            log.warning("ignoring malformed realtime message on %s", CHANNEL)
            return
        if origin == self.process_id:
            return  # delivered to our sockets when we published it
        self.local.deliver_frame([str(r) for r in recipients], frame)

    # presence ------------------------------------------------------------------------------------

    async def _announce(self) -> None:
        """(Re)write this process's liveness and the presence key of each local user."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(PROCESSES_KEY, {self.process_id: time.time()})
        for user_id in self.local.users():
            pipe.set(presence_key(user_id, self.process_id), "1", ex=self.ttl)
        await pipe.execute()

    async def _heartbeat_loop(self) -> None:
        interval = max(1.0, self.ttl / 3)
        while True:
            try:
                await self._announce()
                # Forget processes that stopped beating (their presence keys have expired too).
                await self.redis.zremrangebyscore(PROCESSES_KEY, 0, time.time() - self.ttl)
                await asyncio.sleep(interval)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis presence heartbeat failed (%s)", type(exc).__name__)
                await asyncio.sleep(1.0)

    async def _live_processes(self) -> list[str]:
        members = await self.redis.zrangebyscore(PROCESSES_KEY, time.time() - self.ttl, "+inf")
        ids = {m.decode() if isinstance(m, bytes) else str(m) for m in members}
        ids.add(self.process_id)
        return sorted(ids)

    async def _online_elsewhere(self, user_ids: Collection[str]) -> set[str]:
        users = list(dict.fromkeys(user_ids))
        if not users:
            return set()
        processes = [p for p in await self._live_processes() if p != self.process_id]
        if not processes:
            return set()
        pipe = self.redis.pipeline(transaction=False)
        for user_id in users:
            for process_id in processes:
                pipe.exists(presence_key(user_id, process_id))
        results = await pipe.execute()
        online: set[str] = set()
        for i, user_id in enumerate(users):
            if any(results[i * len(processes) : (i + 1) * len(processes)]):
                online.add(user_id)
        return online

    async def online(self, user_ids: Collection[str]) -> set[str]:
        wanted = set(user_ids)
        here = self.local.users() & wanted
        try:
            return here | await self._online_elsewhere(wanted - here)
        except Exception:
            log.warning("redis presence lookup failed; reporting local sockets only")
            return here

    async def connect(self, conn: Connection) -> bool:
        first_here = self.local.add(conn)
        if not first_here:
            return False
        try:
            await self.redis.set(presence_key(conn.user_id, self.process_id), "1", ex=self.ttl)
            return not await self._online_elsewhere([conn.user_id])
        except Exception:
            return True

    async def disconnect(self, conn: Connection) -> bool:
        last_here = self.local.remove(conn)
        if not last_here:
            return False
        try:
            await self.redis.delete(presence_key(conn.user_id, self.process_id))
            return not await self._online_elsewhere([conn.user_id])
        except Exception:
            return True
