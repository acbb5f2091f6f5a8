"""Bulk data generator for the read-path benchmarks (PostgreSQL only).

Creates a fresh database (dropping it if it exists), applies the package's migrations, then
loads users' dialogs, participants, access scopes (+ exploded scope_values) and messages with
COPY (asyncpg copy_records_to_table). Invariants kept:

* messages.seq is 1..n per dialog, dialogs.last_seq = n, last_message_at/activity_at = last sent_at;
* participants.last_read_seq <= last_seq, last_read_message_id = id of that seq,
  unread_count = messages from *others* with seq > last_read_seq, activity_at = dialog.activity_at;
* dialogs.participants_count = number of participant rows.

Users are not a table: they are ids ``u<N>`` with a deterministic tenant / scope assignment
(see ``user_profile``) so the benchmark can mint matching tokens.

    python bench/generate.py --dialogs 100000 --messages 1000000 --users 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

ADMIN_DSN = os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
N_TENANTS = 5
N_LEVEL1 = 20
N_LEVEL2 = 8
WORDS = [
    "truck", "route", "tender", "order", "invoice", "delivery", "pallet", "driver", "cargo", "warehouse",
    "customs", "freight", "loading", "unloading", "contract", "price", "delay", "schedule", "border", "fuel",
    "trailer", "container", "shipment", "carrier", "payment", "document", "signature", "weight", "volume",
    "refrigerator", "temperature", "address", "contact", "manager", "dispatcher", "tomorrow", "today",
    "morning", "evening", "confirmed", "cancelled", "approved", "rejected", "urgent", "please", "thanks",
    "question", "answer", "update", "status",
] + [f"w{i}" for i in range(2000)]
RARE_WORD = "zanzibar"  # ~0.5 % of messages, the search benchmark's query


def user_profile(n: int) -> dict[str, object]:
    """Deterministic scope claims of user u<n> (shared with read_paths.py)."""
    rnd = random.Random(n * 7919)
    l1 = sorted({f"d{rnd.randrange(N_LEVEL1)}" for _ in range(rnd.randint(1, 2))})
    l2 = [f"r{rnd.randrange(N_LEVEL2)}"] if rnd.random() < 0.7 else []
    return {"sub": f"u{n}", "tenant_uid": f"t{n % N_TENANTS}", "scope_level1": l1, "scope_level2": l2}


def uuid7_at(ts: datetime, rnd: random.Random) -> uuid.UUID:
    ms = int(ts.timestamp() * 1000)
    rand_a = rnd.getrandbits(12)
    rand_b = rnd.getrandbits(62)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


async def create_database(name: str) -> str:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{name}"


async def migrate(dsn: str) -> None:
    from mtchat.db.engine import make_engine
    from mtchat.db.migrate import upgrade_to_head

    engine = make_engine(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


async def load(dsn: str, n_dialogs: int, n_messages: int, n_users: int, seed: int, chunk: int) -> dict[str, int]:
    rnd = random.Random(seed)
    conn = await asyncpg.connect(dsn)
    counts = {"dialogs": 0, "participants": 0, "access_scopes": 0, "scope_values": 0, "messages": 0}
    now = datetime.now(UTC)
    start_time = now - timedelta(days=90)
    span = (now - start_time).total_seconds()
    # Message counts per dialog: skewed (some busy dialogs), summing to n_messages exactly.
    weights = [rnd.expovariate(1.0) for _ in range(n_dialogs)]
    total_w = sum(weights)
    msg_counts = [int(w / total_w * n_messages) for w in weights]
    short = n_messages - sum(msg_counts)
    for i in range(short):
        msg_counts[i % n_dialogs] += 1

    for base in range(0, n_dialogs, chunk):
        dialogs, parts, scopes, svalues, msgs = [], [], [], [], []
        for di in range(base, min(n_dialogs, base + chunk)):
            created = start_time + timedelta(seconds=rnd.random() * span * 0.5)
            did = uuid7_at(created, rnd)
            members = rnd.sample(range(n_users), rnd.randint(3, 10))
            n = msg_counts[di]
            # sent_at increasing after created
            times = sorted(created + timedelta(seconds=rnd.random() * (now - created).total_seconds()) for _ in range(n))
            senders = [members[rnd.randrange(len(members))] for _ in range(n)]
            ids = []
            for seq, (ts, snd) in enumerate(zip(times, senders, strict=True), start=1):
                mid = uuid7_at(ts, rnd)
                ids.append(mid)
                words = rnd.choices(WORDS, k=rnd.randint(3, 15))
                if rnd.random() < 0.005:
                    words.insert(rnd.randrange(len(words)), RARE_WORD)
                text = " ".join(words)
                msgs.append(
                    (mid, did, seq, f"u{snd}", f"User {snd}", "user", f"<p>{text}</p>", text, None, "[]", None, ts, None)
                )
            last_at = times[-1] if times else None
            activity = last_at or created
            dialogs.append(
                (did, "order", f"o{di}", f"Order {di}", None, "{}", created, activity, last_at, activity, n, len(members), None)
            )
            for j, u in enumerate(members):
                # Most participants have read most of the history.
                lr = n if rnd.random() < 0.5 else rnd.randint(0, n)
                unread = sum(1 for k in range(lr, n) if senders[k] != u)
                parts.append(
                    (
                        did, f"u{u}", f"User {u}", f"Company {u % 300}", None, None,
                        "participant", created + timedelta(seconds=j), ids[lr - 1] if lr else None, lr, unread,
                        rnd.random() < 0.05, rnd.random() < 0.02, True, activity,
                    )
                )
            for _ in range(rnd.choice((1, 1, 1, 2))):
                sid = uuid7_at(created, rnd)
                tenant = f"t{rnd.randrange(N_TENANTS)}"
                l1 = sorted({f"d{rnd.randrange(N_LEVEL1)}" for _ in range(rnd.randint(1, 3))}) if rnd.random() < 0.8 else []
                l2 = [f"r{rnd.randrange(N_LEVEL2)}"] if rnd.random() < 0.5 else []
                scopes.append((sid, did, tenant, json.dumps(l1), json.dumps(l2), not l1, not l2, activity))
                svalues.extend((sid, 1, v) for v in l1)
                svalues.extend((sid, 2, v) for v in l2)
        async with conn.transaction():
            await conn.copy_records_to_table(
                "dialogs",
                records=dialogs,
                columns=[
                    "id", "object_type", "object_id", "title", "object_url", "meta", "created_at", "updated_at",
                    "last_message_at", "activity_at", "last_seq", "participants_count", "idempotency_key",
                ],
            )
            await conn.copy_records_to_table(
                "participants",
                records=parts,
                columns=[
                    "dialog_id", "user_id", "display_name", "company", "email", "phone", "joined_as", "joined_at",
                    "last_read_message_id", "last_read_seq", "unread_count", "is_archived", "is_pinned",
                    "notifications_enabled", "activity_at",
                ],
            )
            await conn.copy_records_to_table(
                "access_scopes",
                records=scopes,
                columns=[
                    "id", "dialog_id", "tenant_uid", "scope_level1", "scope_level2", "level1_any", "level2_any",
                    "activity_at",
                ],
            )
            await conn.copy_records_to_table("scope_values", records=svalues, columns=["scope_id", "level", "value"])
            await conn.copy_records_to_table(
                "messages",
                records=msgs,
                columns=[
                    "id", "dialog_id", "seq", "sender_id", "sender_name", "message_type", "content", "text",
                    "reply_to_id", "mentions", "client_message_id", "sent_at", "last_edited_at",
                ],
            )
        counts["dialogs"] += len(dialogs)
        counts["participants"] += len(parts)
        counts["access_scopes"] += len(scopes)
        counts["scope_values"] += len(svalues)
        counts["messages"] += len(msgs)
        print(f"  {counts['dialogs']}/{n_dialogs} dialogs, {counts['messages']} messages", flush=True)
    await conn.execute("VACUUM ANALYZE")
    await conn.close()
    return counts


async def amain() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="mtchat_bench")
    ap.add_argument("--dialogs", type=int, default=100_000)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--chunk", type=int, default=5_000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    dsn = await create_database(args.db)
    await migrate(dsn)
    print(f"database {args.db} created and migrated in {time.perf_counter() - t0:.1f}s", flush=True)
    counts = await load(dsn, args.dialogs, args.messages, args.users, args.seed, args.chunk)
    meta = {"dsn": dsn, "users": args.users, **counts, "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(meta))


if __name__ == "__main__":
    asyncio.run(amain())
