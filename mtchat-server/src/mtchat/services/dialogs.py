"""Dialog use cases: the Management API side (SPEC §5.2) and the Chat API dialog side (§5.3).

Every write runs in one ``runtime.tx()``; WebSocket events and webhooks go through the Tx.
"""

from __future__ import annotations

import base64
import html
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Boolean, ColumnElement, and_, bindparam, case, delete, exists, false, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mtchat.api.schemas.dialogs import (
    DialogCreate,
    DialogPatch,
    DialogSearch,
    ManagementMessageIn,
    ParticipantIn,
    Profile,
    ScopeIn,
)
from mtchat.auth import User
from mtchat.db.models import AccessScope, Dialog, Message, Participant, ScopeValue
from mtchat.db.types import utcnow
from mtchat.errors import InvalidInput, ParticipantNotFound
from mtchat.events.realtime import (
    DialogAdded,
    DialogDeleted,
    DialogRemoved,
    DialogUpdated,
    MessageNew,
    ParticipantJoined,
    ParticipantLeft,
)
from mtchat.ids import new_id
from mtchat.runtime import Runtime, Tx
from mtchat.services.access import access_dialog, access_member, load_dialog
from mtchat.services.attachments import delete_dialog_files
from mtchat.services.messages import message_out as chat_message_out
from mtchat.services.messages import participant_ids

# ---------------------------------------------------------------- serialization


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def dialog_out(d: Dialog) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "object_id": d.object_id,
        "object_type": d.object_type,
        "title": d.title,
        "object_url": d.object_url,
        "meta": d.meta or {},
        "created_at": _iso(d.created_at),
        "updated_at": _iso(d.updated_at),
        "last_message_at": _iso(d.last_message_at),
        "participants_count": d.participants_count,
    }


def participant_out(p: Participant, *, private: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "user_id": p.user_id,
        "display_name": p.display_name,
        "company": p.company,
        "joined_as": p.joined_as,
        "joined_at": _iso(p.joined_at),
    }
    if private:
        out["email"] = p.email
        out["phone"] = p.phone
    return out


def scope_out(s: AccessScope) -> dict[str, Any]:
    return {
        "tenant_uid": s.tenant_uid,
        "scope_level1": list(s.scope_level1),
        "scope_level2": list(s.scope_level2),
    }


def message_out(m: Message) -> dict[str, Any]:
    # One message shape for the API and the socket: the Chat API's serializer.
    return chat_message_out(m).model_dump(mode="json")


# ---------------------------------------------------------------- shared write helpers


_get_dialog = load_dialog  # the Management API sees every dialog


async def insert_message(
    tx: Tx,
    dialog: Dialog,
    *,
    content: str,
    text: str,
    sender_id: str | None,
    sender_name: str | None,
    message_type: str,
    reader_id: str | None = None,
) -> Message:
    """Bump the dialog's seq under its row lock, insert the message, update per-user counters.

    A message is never unread for its sender. ``reader_id`` (the user a system message is about, e.g. the
    one who joined) has seen it by definition: their read position moves to it.
    """
    session = tx.session
    now = utcnow()
    seq = await session.scalar(
        update(Dialog)
        .where(Dialog.id == dialog.id)
        .values(last_seq=Dialog.last_seq + 1, last_message_at=now, activity_at=now)
        .returning(Dialog.last_seq)
        .execution_options(synchronize_session=False)
    )
    assert seq is not None
    msg = Message(
        id=new_id(), dialog_id=dialog.id, seq=seq, sender_id=sender_id, sender_name=sender_name,
        message_type=message_type, content=content, text=text, mentions=[], sent_at=now,
    )
    session.add(msg)
    await session.flush()
    seen_by = reader_id or sender_id
    unread = Participant.unread_count + (1 if seen_by is None else case((Participant.user_id == seen_by, 0), else_=1))
    await session.execute(
        update(Participant)
        .where(Participant.dialog_id == dialog.id)
        .values(unread_count=unread, activity_at=now)
        .execution_options(synchronize_session=False)
    )
    if reader_id is not None:
        await session.execute(
            update(Participant)
            .where(Participant.dialog_id == dialog.id, Participant.user_id == reader_id)
            .values(last_read_seq=seq, last_read_message_id=msg.id, unread_count=0)
            .execution_options(synchronize_session=False)
        )
    await session.refresh(dialog)
    recipients = await participant_ids(session, dialog.id)
    tx.emit(recipients, MessageNew(dialog_id=dialog.id, message=message_out(msg)))
    return msg


def system_content(event: str, user_id: str | None = None, display_name: str | None = None) -> str:
    """Structured content of a system message; the SDK renders it in the reader's language."""
    return json.dumps({"event": event, "user_id": user_id, "display_name": display_name})


async def system_message(tx: Tx, dialog: Dialog, event: str, user_id: str, display_name: str | None) -> Message:
    content = system_content(event, user_id, display_name)
    return await insert_message(
        tx, dialog, content=content, text=content, sender_id=None, sender_name=None, message_type="system",
        reader_id=user_id,
    )


def _profile_values(p: Profile) -> dict[str, Any]:
    return {"display_name": p.display_name, "company": p.company, "email": p.email, "phone": p.phone}


async def _add_participant(
    tx: Tx, dialog: Dialog, user_id: str, profile: dict[str, Any], joined_as: str
) -> Participant:
    now = utcnow()
    p = Participant(
        dialog_id=dialog.id, user_id=user_id, joined_as=joined_as, joined_at=now,
        activity_at=dialog.activity_at, unread_count=0, last_read_seq=dialog.last_seq,
        is_archived=False, is_pinned=False, notifications_enabled=True, **profile,
    )
    tx.session.add(p)
    await tx.session.execute(
        update(Dialog)
        .where(Dialog.id == dialog.id)
        .values(participants_count=Dialog.participants_count + 1)
        .execution_options(synchronize_session=False)
    )
    await tx.session.flush()
    return p


async def _after_join(tx: Tx, dialog: Dialog, p: Participant, system_event: str) -> None:
    await system_message(tx, dialog, system_event, p.user_id, p.display_name)
    # participant's own activity copy follows the dialog's latest activity
    p.activity_at = dialog.activity_at
    recipients = await participant_ids(tx.session, dialog.id)
    tx.emit(recipients, ParticipantJoined(dialog_id=dialog.id, user_id=p.user_id, display_name=p.display_name))
    tx.emit([p.user_id], DialogAdded(dialog_id=dialog.id))
    tx.webhook("participant.joined", {
        "dialog_id": str(dialog.id), "object_id": dialog.object_id, "object_type": dialog.object_type,
        "user_id": p.user_id, "joined_as": p.joined_as,
    })


async def _remove_participant(tx: Tx, dialog: Dialog, p: Participant, system_event: str) -> None:
    user_id, name = p.user_id, p.display_name
    await tx.session.delete(p)
    await tx.session.execute(
        update(Dialog)
        .where(Dialog.id == dialog.id)
        .values(participants_count=Dialog.participants_count - 1)
        .execution_options(synchronize_session=False)
    )
    await tx.session.flush()
    await system_message(tx, dialog, system_event, user_id, name)
    recipients = await participant_ids(tx.session, dialog.id)
    tx.emit([*recipients, user_id], ParticipantLeft(dialog_id=dialog.id, user_id=user_id))
    tx.emit([user_id], DialogRemoved(dialog_id=dialog.id))
    tx.webhook("participant.left", {
        "dialog_id": str(dialog.id), "object_id": dialog.object_id, "object_type": dialog.object_type,
        "user_id": user_id, "left_at": utcnow().isoformat(),
    })


async def _write_scopes(session: AsyncSession, dialog: Dialog, scopes: Sequence[ScopeIn]) -> list[AccessScope]:
    rows: list[AccessScope] = []
    for s in scopes:
        l1 = list(dict.fromkeys(s.scope_level1))
        l2 = list(dict.fromkeys(s.scope_level2))
        row = AccessScope(
            dialog_id=dialog.id, tenant_uid=s.tenant_uid, scope_level1=l1, scope_level2=l2,
            level1_any=not l1, level2_any=not l2, activity_at=dialog.activity_at,
        )
        session.add(row)
        await session.flush()
        for level, values in ((1, l1), (2, l2)):
            for v in values:
                session.add(ScopeValue(scope_id=row.id, level=level, value=v))
        rows.append(row)
    await session.flush()
    return rows


async def _load_scopes(session: AsyncSession, dialog_id: uuid.UUID) -> list[AccessScope]:
    rows = await session.scalars(
        select(AccessScope).where(AccessScope.dialog_id == dialog_id).order_by(AccessScope.id)
    )
    return list(rows)


async def _dialog_detail(session: AsyncSession, dialog: Dialog) -> dict[str, Any]:
    parts = await session.scalars(
        select(Participant).where(Participant.dialog_id == dialog.id).order_by(Participant.joined_at)
    )
    out = dialog_out(dialog)
    out["participants"] = [participant_out(p) for p in parts]
    out["access_scopes"] = [scope_out(s) for s in await _load_scopes(session, dialog.id)]
    return out


# ---------------------------------------------------------------- Management API


async def create_dialog(
    runtime: Runtime, body: DialogCreate, idempotency_key: str | None
) -> tuple[dict[str, Any], bool]:
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 255):
        raise InvalidInput("Idempotency-Key: must be 1..255 characters")
    async with runtime.tx() as tx:
        s = tx.session
        if idempotency_key:
            existing = await s.scalar(select(Dialog).where(Dialog.idempotency_key == idempotency_key))
            if existing is not None:
                return await _dialog_detail(s, existing), False
        now = utcnow()
        dialog = Dialog(
            object_id=body.object_id, object_type=body.object_type, title=body.title,
            object_url=body.object_url, meta=body.meta or {}, created_at=now, updated_at=now,
            activity_at=now, last_seq=0, participants_count=0, idempotency_key=idempotency_key,
        )
        s.add(dialog)
        await s.flush()
        # Seq 1 is the "created" system message; it is written before anyone is in the dialog, so it is
        # nobody's unread message and the initial participants start with it read.
        created = await insert_message(
            tx, dialog, content=system_content("created"), text=system_content("created"), sender_id=None,
            sender_name=None, message_type="system",
        )
        seen: dict[str, ParticipantIn] = {}
        for item in body.participants:
            pin = ParticipantIn(user_id=item) if isinstance(item, str) else item
            seen.setdefault(pin.user_id, pin)
        for pin in seen.values():
            s.add(Participant(
                dialog_id=dialog.id, user_id=pin.user_id, joined_as="participant", joined_at=now,
                activity_at=dialog.activity_at, last_read_seq=created.seq, last_read_message_id=created.id,
                **_profile_values(pin),
            ))
        dialog.participants_count = len(seen)
        await _write_scopes(s, dialog, body.access_scopes)
        await s.flush()
        for user_id, pin in seen.items():
            tx.emit([user_id], DialogAdded(dialog_id=dialog.id))
            tx.webhook("participant.joined", {
                "dialog_id": str(dialog.id), "object_id": dialog.object_id,
                "object_type": dialog.object_type, "user_id": user_id, "joined_as": "participant",
            })
            del pin
        return await _dialog_detail(s, dialog), True


def _scope_key(tenant: str, l1: Iterable[str], l2: Iterable[str]) -> tuple[str, frozenset[str], frozenset[str]]:
    return (tenant, frozenset(l1), frozenset(l2))


async def search_dialog(runtime: Runtime, body: DialogSearch) -> dict[str, Any] | None:
    wanted = {_scope_key(x.tenant_uid, x.scope_level1, x.scope_level2) for x in body.access_scopes}
    async with runtime.read() as s:
        dialogs = await s.scalars(
            select(Dialog)
            .where(Dialog.object_type == body.object_type, Dialog.object_id == body.object_id)
            .order_by(Dialog.activity_at.desc(), Dialog.id.desc())
        )
        for d in dialogs.all():
            have = {_scope_key(x.tenant_uid, x.scope_level1, x.scope_level2) for x in await _load_scopes(s, d.id)}
            if have == wanted:
                return await _dialog_detail(s, d)
    return None


async def list_by_object_admin(runtime: Runtime, object_type: str, object_id: str) -> list[dict[str, Any]]:
    async with runtime.read() as s:
        rows = await s.scalars(
            select(Dialog)
            .where(Dialog.object_type == object_type, Dialog.object_id == object_id)
            .order_by(Dialog.activity_at.desc(), Dialog.id.desc())
        )
        return [dialog_out(d) for d in rows]


async def get_dialog_admin(runtime: Runtime, dialog_id: uuid.UUID) -> dict[str, Any]:
    async with runtime.read() as s:
        return await _dialog_detail(s, await _get_dialog(s, dialog_id))


async def patch_dialog(runtime: Runtime, dialog_id: uuid.UUID, body: DialogPatch) -> dict[str, Any]:
    async with runtime.tx() as tx:
        dialog = await _get_dialog(tx.session, dialog_id, for_update=True)
        changes = body.model_dump(exclude_unset=True)
        if "title" in changes:
            dialog.title = body.title
        if "object_url" in changes:
            dialog.object_url = body.object_url
        if "meta" in changes:
            dialog.meta = body.meta or {}
        dialog.updated_at = utcnow()
        await tx.session.flush()
        tx.emit(await participant_ids(tx.session, dialog.id), DialogUpdated(dialog_id=dialog.id))
        return dialog_out(dialog)


async def delete_dialog(runtime: Runtime, dialog_id: uuid.UUID) -> None:
    async with runtime.tx() as tx:
        dialog = await _get_dialog(tx.session, dialog_id, for_update=True)
        recipients = await participant_ids(tx.session, dialog.id)
        # Objects are removed after commit; the rows go with the dialog (ON DELETE CASCADE).
        await delete_dialog_files(tx, dialog.id)
        await tx.session.execute(delete(Dialog).where(Dialog.id == dialog.id))
        tx.emit(recipients, DialogDeleted(dialog_id=dialog_id))


async def add_participant(runtime: Runtime, dialog_id: uuid.UUID, body: ParticipantIn) -> tuple[dict[str, Any], bool]:
    async with runtime.tx() as tx:
        dialog = await _get_dialog(tx.session, dialog_id, for_update=True)
        existing = await tx.session.get(Participant, (dialog.id, body.user_id))
        if existing is not None:
            return participant_out(existing), False
        p = await _add_participant(tx, dialog, body.user_id, _profile_values(body), "participant")
        await _after_join(tx, dialog, p, "added")
        return participant_out(p), True


async def remove_participant(runtime: Runtime, dialog_id: uuid.UUID, user_id: str) -> None:
    async with runtime.tx() as tx:
        dialog = await _get_dialog(tx.session, dialog_id, for_update=True)
        p = await tx.session.get(Participant, (dialog.id, user_id))
        if p is None:
            raise ParticipantNotFound()
        await _remove_participant(tx, dialog, p, "removed")


async def replace_scopes(runtime: Runtime, dialog_id: uuid.UUID, scopes: Sequence[ScopeIn]) -> list[dict[str, Any]]:
    async with runtime.tx() as tx:
        dialog = await _get_dialog(tx.session, dialog_id, for_update=True)
        await tx.session.execute(delete(AccessScope).where(AccessScope.dialog_id == dialog.id))
        rows = await _write_scopes(tx.session, dialog, scopes)
        dialog.updated_at = utcnow()
        tx.emit(await participant_ids(tx.session, dialog.id), DialogUpdated(dialog_id=dialog.id))
        return [scope_out(r) for r in rows]


async def post_management_message(runtime: Runtime, dialog_id: uuid.UUID, body: ManagementMessageIn) -> dict[str, Any]:
    async with runtime.tx() as tx:
        dialog = await _get_dialog(tx.session, dialog_id, for_update=True)
        # The Management API takes plain text from the host: escaped, never interpreted as markup.
        text = body.content
        content = "<p>" + html.escape(text) + "</p>"
        if body.sender_id is None:
            msg = await insert_message(
                tx, dialog, content=content, text=text, sender_id=None, sender_name=None, message_type="system"
            )
        else:
            sender = await tx.session.get(Participant, (dialog.id, body.sender_id))
            if sender is None:
                raise InvalidInput("sender_id: not a participant of this dialog")
            msg = await insert_message(
                tx, dialog, content=content, text=text, sender_id=sender.user_id,
                sender_name=sender.display_name, message_type="user",
            )
        notify = await tx.session.scalars(
            select(Participant.user_id).where(
                Participant.dialog_id == dialog.id, Participant.notifications_enabled.is_(True)
            )
        )
        tx.webhook("message.new", {
            "dialog_id": str(dialog.id), "object_id": dialog.object_id, "object_type": dialog.object_type,
            "title": dialog.title,
            "message": {
                "id": str(msg.id), "sender_id": msg.sender_id, "sender_name": msg.sender_name,
                "content": msg.content, "text": msg.text, "reply_to_id": None, "attachments": [],
                "mentions": [], "sent_at": _iso(msg.sent_at),
            },
            "participants": [u for u in notify if u != msg.sender_id],
        })
        return message_out(msg)


# ---------------------------------------------------------------- Chat API: visibility in SQL


# Built once: constructing an alias is a large part of building a statement (bench/, py-spy).
_MEMBER = aliased(Participant, name="me")
_OTHER_PARTICIPANT = aliased(Participant, name="other")


def _scope_levels_clause(user: User, *, jsonb: bool = False) -> ColumnElement[bool]:
    """SPEC §4 for one access_scopes row: the user's tenant, and each level matches (empty = any).

    ``jsonb`` (PostgreSQL): test the row's own JSONB list with ``?|`` instead of probing ``scope_values``.
    On a long scan (the available list) that is a cheap per-row check; the planner would otherwise hash
    every scope_values row of a popular value first (tens of thousands at 100k dialogs, bench/).
    """

    def level(n: int, values: Sequence[str], any_col: Any, list_col: Any) -> ColumnElement[bool]:
        if not values:
            return any_col.is_(True)  # type: ignore[no-any-return]
        shared: ColumnElement[bool]
        if jsonb:
            shared = list_col.op("?|", return_type=Boolean)(postgresql.array(list(values)))
        else:
            shared = exists().where(
                ScopeValue.scope_id == AccessScope.id, ScopeValue.level == n, ScopeValue.value.in_(list(values))
            )
        return or_(any_col.is_(True), shared)

    return and_(
        AccessScope.tenant_uid == user.tenant_uid,
        level(1, user.scope_level1, AccessScope.level1_any, AccessScope.scope_level1),
        level(2, user.scope_level2, AccessScope.level2_any, AccessScope.scope_level2),
    )


def scope_match_clause(user: User) -> ColumnElement[bool]:
    """SPEC §4 as SQL over dialogs.id: some scope with the user's tenant whose levels each match."""
    if not user.tenant_uid:
        return false()
    return exists().where(AccessScope.dialog_id == Dialog.id, _scope_levels_clause(user))


def available_stmt(user: User, dialect: str) -> Any:
    """(activity_at, dialog_id) of dialogs the user may join, newest first, driven by the tenant's scopes.

    One backward range scan of ``ix_access_scopes_tenant_activity`` (already in output order; DISTINCT
    folds a dialog that several of its scopes match), filtered by levels and "not a participant yet".
    """
    me = _MEMBER
    levels = _scope_levels_clause(user, jsonb=dialect == "postgresql") if user.tenant_uid else false()
    return (
        select(AccessScope.activity_at, AccessScope.dialog_id)
        .where(levels, ~exists().where(me.dialog_id == AccessScope.dialog_id, me.user_id == user.user_id))
        .distinct()
    )


class DialogFields(Protocol):
    """What a list item shows of a dialog: an ORM ``Dialog`` or a ``DialogHead`` row."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def object_id(self) -> str: ...
    @property
    def object_type(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def object_url(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def last_message_at(self) -> datetime | None: ...
    @property
    def participants_count(self) -> int: ...
    @property
    def last_seq(self) -> int: ...


class MyStateFields(Protocol):
    """The caller's own state in a dialog: an ORM ``Participant`` or a ``MyState`` row."""

    @property
    def unread_count(self) -> int: ...
    @property
    def is_archived(self) -> bool: ...
    @property
    def is_pinned(self) -> bool: ...
    @property
    def notifications_enabled(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class DialogHead:
    id: uuid.UUID
    object_id: str
    object_type: str
    title: str | None
    object_url: str | None
    created_at: datetime
    last_message_at: datetime | None
    participants_count: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class MyState:
    unread_count: int
    is_archived: bool
    is_pinned: bool
    notifications_enabled: bool
    activity_at: datetime


_HEAD_COLUMNS = (
    Dialog.id, Dialog.object_id, Dialog.object_type, Dialog.title, Dialog.object_url, Dialog.created_at,
    Dialog.last_message_at, Dialog.participants_count, Dialog.last_seq,
)
_MY_STATE_COLUMNS = (
    Participant.unread_count, Participant.is_archived, Participant.is_pinned, Participant.notifications_enabled,
    Participant.activity_at,
)


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != 3:
            raise ValueError
        return [bool(values[0]), datetime.fromisoformat(values[1]), uuid.UUID(values[2])]
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor: malformed") from exc


def _after(cols: Sequence[Any], vals: Sequence[Any]) -> ColumnElement[bool]:
    """Keyset condition for a descending order over cols."""
    col, val = cols[0], vals[0]
    if isinstance(val, bool):  # booleans: "less than True" is False, nothing is less than False
        less: ColumnElement[bool] = col.is_(False) if val else false()
        same: ColumnElement[bool] = col.is_(val)
    else:
        less, same = col < val, col == val
    if len(cols) == 1:
        return less
    return or_(less, and_(same, _after(cols[1:], vals[1:])))


def _search_clause(search: str) -> ColumnElement[bool]:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    other = _OTHER_PARTICIPANT
    company = exists().where(other.dialog_id == Dialog.id, other.company.ilike(pattern, escape="\\"))
    return or_(Dialog.title.ilike(pattern, escape="\\"), company)


async def list_dialogs(
    runtime: Runtime, user: User, *, kind: str, search: str | None, archived: bool | None,
    limit: int, cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    after = _decode_cursor(cursor) if cursor else None
    async with runtime.read() as s:
        items: list[tuple[DialogFields, MyStateFields | None]]
        if kind == "participating":
            # Plain columns, not ORM entities: this is the busiest read path (bench/read_paths.py).
            stmt: Any = select(*_HEAD_COLUMNS, *_MY_STATE_COLUMNS).join(
                Participant, and_(Participant.dialog_id == Dialog.id, Participant.user_id == user.user_id)
            )
            stmt = stmt.where(Participant.is_archived.is_(bool(archived)))
            cols: list[Any] = [Participant.is_pinned, Participant.activity_at, Participant.dialog_id]
            if search:
                stmt = stmt.where(_search_clause(search))
            if after is not None:
                stmt = stmt.where(_after(cols, after))
            rows = (await s.execute(stmt.order_by(*[c.desc() for c in cols]).limit(limit + 1))).all()
            n_head = len(_HEAD_COLUMNS)
            mine = [(DialogHead(*r[:n_head]), MyState(*r[n_head:])) for r in rows[:limit]]
            items = list(mine)
            keys = [(me.is_pinned, me.activity_at, d.id) for d, me in mine]
        else:
            stmt = available_stmt(user, runtime.engine.dialect.name)
            cols = [AccessScope.activity_at, AccessScope.dialog_id]
            if search:
                stmt = stmt.join(Dialog, Dialog.id == AccessScope.dialog_id).where(_search_clause(search))
            if after is not None:
                stmt = stmt.where(_after(cols, after[1:]))
            rows = (await s.execute(stmt.order_by(*[c.desc() for c in cols]).limit(limit + 1))).all()
            page = rows[:limit]
            found = {d.id: d for d in await s.scalars(select(Dialog).where(Dialog.id.in_([r[1] for r in page])))}
            # A dialog deleted between the two reads simply drops out of this page.
            items = [(found[r[1]], None) for r in page if r[1] in found]
            keys = [(False, r[0], r[1]) for r in page]
        data = await _dialog_items(s, items, can_join=kind != "participating")
        next_cursor = None
        if len(rows) > limit and keys:
            pinned, activity, last_id = keys[-1]
            next_cursor = _encode_cursor([bool(pinned), activity.isoformat(), str(last_id)])
        return data, next_cursor


# Built once (statement construction showed up in profiles of the list paths); values are bound per call.
_PAGE_PARTICIPANTS = (
    select(Participant.dialog_id, Participant.user_id, Participant.display_name, Participant.company)
    .where(Participant.dialog_id.in_(bindparam("ids", expanding=True)))
    .order_by(Participant.joined_at)
)
_PAGE_LAST_MESSAGES = select(
    Message.dialog_id, Message.id, Message.content, Message.sender_id, Message.sender_name,
    Message.sent_at, Message.message_type,
).where(tuple_(Message.dialog_id, Message.seq).in_(bindparam("pairs", expanding=True)))


async def _dialog_items(
    s: AsyncSession, items: Sequence[tuple[DialogFields, MyStateFields | None]], *, can_join: bool
) -> list[dict[str, Any]]:
    ids = [d.id for d, _ in items]
    if not ids:
        return []
    # Plain rows, not ORM entities: a page embeds hundreds of participants (bench/read_paths.py).
    parts: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    for dialog_id, user_id, display_name, company in await s.execute(_PAGE_PARTICIPANTS, {"ids": ids}):
        parts[dialog_id].append({"user_id": user_id, "display_name": display_name, "company": company})
    # The page already knows each dialog's last seq: look the messages up by (dialog_id, seq) on the
    # unique index instead of joining dialogs (which made PostgreSQL scan every dialog; bench/).
    pairs = [(d.id, d.last_seq) for d, p in items if p is not None and d.last_seq > 0]
    last: dict[uuid.UUID, dict[str, Any]] = {}
    if pairs:
        for lm in await s.execute(_PAGE_LAST_MESSAGES, {"pairs": pairs}):
            last[lm.dialog_id] = {
                "id": str(lm.id), "content": lm.content, "sender_id": lm.sender_id,
                "sender_name": lm.sender_name, "sent_at": _iso(lm.sent_at), "message_type": lm.message_type,
            }
    out = []
    for d, p in items:
        m = last.get(d.id)
        item = {
            "id": str(d.id),
            "object_id": d.object_id,
            "object_type": d.object_type,
            "title": d.title,
            "object_url": d.object_url,
            "created_at": _iso(d.created_at),
            "last_message_at": _iso(d.last_message_at),
            "participants_count": d.participants_count,
            "participants": parts[d.id],
            "i_am_participant": p is not None,
            "can_join": p is None and can_join,
            "unread_count": p.unread_count if p else 0,
            "is_archived": p.is_archived if p else False,
            "is_pinned": p.is_pinned if p else False,
            "notifications_enabled": p.notifications_enabled if p else True,
            "last_message": m if p is not None else None,
        }
        out.append(item)
    return out


async def get_dialog_for_user(runtime: Runtime, user: User, dialog_id: uuid.UUID) -> dict[str, Any]:
    async with runtime.read() as s:
        acc = await access_dialog(s, user, dialog_id)
        return (await _dialog_items(s, [(acc.dialog, acc.participant)], can_join=acc.can_join))[0]


async def by_object(
    runtime: Runtime, user: User, object_type: str, object_id: str, *, limit: int | None
) -> list[dict[str, Any]]:
    async with runtime.read() as s:
        stmt = (
            select(Dialog, Participant)
            .outerjoin(Participant, and_(Participant.dialog_id == Dialog.id, Participant.user_id == user.user_id))
            .where(
                Dialog.object_type == object_type, Dialog.object_id == object_id,
                or_(Participant.user_id.is_not(None), scope_match_clause(user)),
            )
            .order_by(Dialog.activity_at.desc(), Dialog.id.desc())
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = (await s.execute(stmt)).all()
        return await _dialog_items(s, [(r[0], r[1]) for r in rows], can_join=True)


async def join(runtime: Runtime, user: User, dialog_id: uuid.UUID, body: Profile) -> dict[str, Any]:
    async with runtime.tx() as tx:
        acc = await access_dialog(tx.session, user, dialog_id, for_update=True)
        if acc.participant is None:
            profile = {
                "display_name": body.display_name or user.name,
                "company": body.company or user.company,
                "email": body.email or user.email,
                "phone": body.phone or user.phone,
            }
            p = await _add_participant(tx, acc.dialog, user.user_id, profile, "joined")
            await _after_join(tx, acc.dialog, p, "joined")
        return {"status": "joined", "dialog_id": str(dialog_id)}


async def leave(runtime: Runtime, user: User, dialog_id: uuid.UUID) -> dict[str, Any]:
    async with runtime.tx() as tx:
        dialog, p = await access_member(tx.session, user, dialog_id, for_update=True)
        await _remove_participant(tx, dialog, p, "left")
        return {"status": "left", "dialog_id": str(dialog_id)}


async def list_participants(runtime: Runtime, user: User, dialog_id: uuid.UUID) -> list[dict[str, Any]]:
    async with runtime.read() as s:
        acc = await access_dialog(s, user, dialog_id)
        parts = list(await s.scalars(
            select(Participant).where(Participant.dialog_id == dialog_id).order_by(Participant.joined_at)
        ))
    online = await runtime.hub.online([p.user_id for p in parts])
    out = []
    for p in parts:
        item = participant_out(p, private=acc.is_member)
        item["is_online"] = p.user_id in online
        out.append(item)
    return out


async def set_state(runtime: Runtime, user: User, dialog_id: uuid.UUID, field: str, value: bool) -> dict[str, Any]:
    async with runtime.tx() as tx:
        _dialog, p = await access_member(tx.session, user, dialog_id)
        setattr(p, field, value)
        await tx.session.flush()
        return {
            "dialog_id": str(dialog_id), "is_archived": p.is_archived, "is_pinned": p.is_pinned,
            "notifications_enabled": p.notifications_enabled,
        }


async def unread(runtime: Runtime, user: User) -> dict[str, Any]:
    async with runtime.read() as s:
        rows = (await s.execute(
            select(Participant.dialog_id, Participant.unread_count).where(
                Participant.user_id == user.user_id, Participant.unread_count > 0
            )
        )).all()
    dialogs = {str(d): int(c) for d, c in rows}
    return {"total": sum(dialogs.values()), "dialogs": dialogs}



