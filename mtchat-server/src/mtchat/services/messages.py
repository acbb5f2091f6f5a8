"""Messages: send, get, edit, delete, history, read state, receipts, search (SPEC §5.3).

Ordering: every message gets ``seq`` from ``dialogs.last_seq`` bumped under the dialog's row lock,
so within a dialog seq order is commit order and paging by seq never skips or doubles a message.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    String,
    Table,
    Uuid,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mtchat.api.schemas.messages import (
    AttachmentOut,
    EditMessageIn,
    HistoryOut,
    MessageOut,
    ReaderOut,
    ReadStateOut,
    SendMessageIn,
)
from mtchat.auth import User
from mtchat.db.models import Attachment, Dialog, Message, MessageEdit, Participant
from mtchat.db.types import UTCDateTime, utcnow
from mtchat.domain.limits import DEFAULT_PAGE, MAX_PAGE
from mtchat.domain.sanitize import sanitize
from mtchat.errors import InvalidInput, MessageNotFound, NotMessageAuthor, NotParticipant
from mtchat.events.realtime import MessageDeleted, MessageEdited, MessageNew, MessageRead
from mtchat.ids import new_id
from mtchat.runtime import Runtime, Tx
from mtchat.services.access import access_member
from mtchat.services.attachments import bind_attachments, delete_message_files, serialize_attachment
from mtchat.workers.notifications import schedule_notifications

SEARCH_LIMIT = 50


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.id,
        dialog_id=m.dialog_id,
        seq=m.seq,
        sender_id=m.sender_id,
        sender_name=m.sender_name,
        message_type=m.message_type,
        content=m.content,
        reply_to_id=m.reply_to_id,
        mentions=list(m.mentions or []),
        attachments=[],
        sent_at=m.sent_at,
        last_edited_at=m.last_edited_at,
        client_message_id=m.client_message_id,
    )


async def with_attachments(runtime: Runtime, session: AsyncSession, outs: list[MessageOut]) -> list[MessageOut]:
    """Fill ``attachments`` (with fresh signed URLs) for a page of messages in one query."""
    if not outs or runtime.storage is None:
        return outs
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.message_id.in_([o.id for o in outs]), Attachment.status == "attached")
        .order_by(Attachment.created_at, Attachment.id)
    )
    by_message: dict[uuid.UUID, list[Attachment]] = {}
    for row in rows:
        assert row.message_id is not None
        by_message.setdefault(row.message_id, []).append(row)
    ttl = runtime.settings.download_url_ttl_seconds
    for out in outs:
        atts = by_message.get(out.id)
        if atts:
            out.attachments = [
                AttachmentOut.model_validate(await serialize_attachment(a, runtime.storage, ttl)) for a in atts
            ]
    return outs


def _dialog_head(dialog: Dialog) -> dict[str, Any]:
    return {
        "dialog_id": str(dialog.id),
        "object_id": dialog.object_id,
        "object_type": dialog.object_type,
        "title": dialog.title,
    }


def _webhook_message(m: Message) -> dict[str, Any]:
    return {
        "id": str(m.id),
        "sender_id": m.sender_id,
        "sender_name": m.sender_name,
        "content": m.content,
        "text": m.text,
        "reply_to_id": str(m.reply_to_id) if m.reply_to_id else None,
        "attachments": [],
        "mentions": list(m.mentions or []),
        "sent_at": m.sent_at.isoformat(),
    }


def _not_from(user_id: str) -> Any:
    """Messages that count as unread for ``user_id``: anything they did not send themselves."""
    return or_(Message.sender_id.is_(None), Message.sender_id != user_id)


async def participant_ids(session: AsyncSession, dialog_id: uuid.UUID) -> list[str]:
    """Who is in the dialog: the recipients of its events."""
    return list(await session.scalars(select(Participant.user_id).where(Participant.dialog_id == dialog_id)))


async def _message_in(session: AsyncSession, dialog_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    message = await session.scalar(select(Message).where(Message.id == message_id, Message.dialog_id == dialog_id))
    if message is None:
        raise MessageNotFound()
    return message


async def _by_client_id(session: AsyncSession, dialog_id: uuid.UUID, sender_id: str, cmid: str) -> Message | None:
    return await session.scalar(
        select(Message).where(
            Message.dialog_id == dialog_id,
            Message.sender_id == sender_id,
            Message.client_message_id == cmid,
        )
    )


async def send_message(
    runtime: Runtime, user: User, dialog_id: uuid.UUID, body: SendMessageIn
) -> tuple[MessageOut, bool]:
    """Returns (message, created). A repeated ``client_message_id`` returns the first message."""
    try:
        async with runtime.tx() as tx:
            return await _send(tx, user, dialog_id, body)
    except IntegrityError:
        if body.client_message_id is None:
            raise
        # Lost a race with a concurrent retry of the same message: return the winner's row.
        async with runtime.read() as session:
            existing = await _by_client_id(session, dialog_id, user.user_id, body.client_message_id)
            if existing is None:
                raise
            return (await with_attachments(runtime, session, [message_out(existing)]))[0], False


# The send hot path's statements, built once: constructing them per request (ORM attributes,
# coercions, generative copies) cost about as much CPU as executing them. ``b_*`` names keep the
# parameters apart from the column names, which UPDATE/INSERT would take as SET/VALUES keys.
_DIALOGS = cast(Table, Dialog.__table__)
_PARTICIPANTS = cast(Table, Participant.__table__)
_MESSAGES = cast(Table, Message.__table__)
_B_DIALOG = bindparam("b_dialog", type_=Uuid())
_B_USER = bindparam("b_user", type_=String())
_B_NOW = bindparam("b_now", type_=UTCDateTime())

# Bumping last_seq takes the dialog's row lock until commit: sends (and read-state updates) of one
# dialog serialise here, so seq order is commit order. No row: not a member (or no such dialog).
_BUMP_SEQ = (
    update(_DIALOGS)
    .where(
        _DIALOGS.c.id == _B_DIALOG,
        exists().where(_PARTICIPANTS.c.dialog_id == _B_DIALOG, _PARTICIPANTS.c.user_id == _B_USER),
    )
    .values(last_seq=_DIALOGS.c.last_seq + 1, last_message_at=_B_NOW, activity_at=_B_NOW)
    .returning(_DIALOGS.c.last_seq, _DIALOGS.c.object_id, _DIALOGS.c.object_type, _DIALOGS.c.title)
)
# Everyone else gets one more unread message, the sender has read up to it, and a new message
# brings the dialog back from everyone's archive. The returned rows are the recipients.
_IS_SENDER = _PARTICIPANTS.c.user_id == _B_USER
_MARK_SENT = (
    update(_PARTICIPANTS)
    .where(_PARTICIPANTS.c.dialog_id == _B_DIALOG)
    .values(
        unread_count=case((_IS_SENDER, 0), else_=_PARTICIPANTS.c.unread_count + 1),
        last_read_seq=case((_IS_SENDER, bindparam("b_seq", type_=BigInteger())), else_=_PARTICIPANTS.c.last_read_seq),
        last_read_message_id=case(
            (_IS_SENDER, bindparam("b_message", type_=Uuid())), else_=_PARTICIPANTS.c.last_read_message_id
        ),
        activity_at=_B_NOW,
        is_archived=False,
    )
    .returning(_PARTICIPANTS.c.user_id, _PARTICIPANTS.c.display_name, _PARTICIPANTS.c.notifications_enabled)
)
_INSERT_MESSAGE = insert(_MESSAGES)


async def _send(tx: Tx, user: User, dialog_id: uuid.UUID, body: SendMessageIn) -> tuple[MessageOut, bool]:
    """The send hot path: BEGIN, three statements, COMMIT (plus what attachments/webhooks need).

    Core statements on the session's connection (no ORM unit of work): bump ``dialogs.last_seq``,
    update every participant's read/unread/archive state (which also returns the recipients), insert
    the message. Checks that cannot change the outcome run first; access errors keep their order
    (404/403 before 400) by asking ``access_member`` only when the fast path says "not a member".
    """
    session = tx.session
    if body.client_message_id is not None:
        existing = await _by_client_id(session, dialog_id, user.user_id, body.client_message_id)
        if existing is not None:
            await access_member(session, user, dialog_id)  # a removed sender gets 403/404, not the old copy
            return (await with_attachments(tx.runtime, session, [message_out(existing)]))[0], False
    clean = None
    if body.content.strip():
        # Mentions count only for participants; read them only when the content has any.
        members = await participant_ids(session, dialog_id) if "data-mention" in body.content.lower() else ()
        clean = sanitize(body.content, members)
    if (clean is None or (not clean.text and not clean.mentions)) and not body.attachments:
        await access_member(session, user, dialog_id)
        raise InvalidInput("content: empty message (send text or attachments)")

    now = utcnow()
    conn = await session.connection()
    params: dict[str, Any] = {"b_dialog": dialog_id, "b_user": user.user_id, "b_now": now}
    row = (await conn.execute(_BUMP_SEQ, params)).first()
    if row is None:
        await access_member(session, user, dialog_id)  # raises 404 / 403 as the case may be
        row = (await conn.execute(_BUMP_SEQ, params)).first()  # joined in between: the bump sees it now
        if row is None:
            raise NotParticipant()
    seq, object_id, object_type, title = row
    if body.reply_to is not None:
        await _message_in(session, dialog_id, body.reply_to)

    message_id = new_id()
    participants = (await conn.execute(_MARK_SENT, {**params, "b_seq": seq, "b_message": message_id})).all()
    my_name = next((p.display_name for p in participants if p.user_id == user.user_id), None)
    values: dict[str, Any] = {
        "id": message_id,
        "dialog_id": dialog_id,
        "seq": seq,
        "sender_id": user.user_id,
        "sender_name": my_name or user.name,
        "message_type": "user",
        "content": clean.html if clean else "",
        "text": clean.text if clean else "",
        "reply_to_id": body.reply_to,
        "mentions": clean.mentions if clean else [],
        "client_message_id": body.client_message_id,
        "sent_at": now,
        "last_edited_at": None,
    }
    await conn.execute(_INSERT_MESSAGE, values)
    message = Message(**values)  # transient: the helpers below read it, the session never flushes it
    bound: list[Attachment] = []
    if body.attachments:
        bound = await bind_attachments(
            tx, user.user_id, dialog_id, message, [a.model_dump() for a in body.attachments]
        )

    out = message_out(message)
    if bound:
        await with_attachments(tx.runtime, session, [out])
    tx.emit([p.user_id for p in participants], MessageNew(dialog_id=dialog_id, message=out.model_dump(mode="json")))
    if tx.runtime.settings.webhook_url:
        head = {"dialog_id": str(dialog_id), "object_id": object_id, "object_type": object_type, "title": title}
        wh_message = _webhook_message(message)
        wh_message["attachments"] = [
            {"id": str(a.id), "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in bound
        ]
        notify = [p.user_id for p in participants if p.user_id != user.user_id and p.notifications_enabled]
        tx.webhook("message.new", {**head, "message": wh_message, "participants": notify}, at=now)
        await schedule_notifications(tx, dialog_id, message, notify)
        for mentioned in clean.mentions if clean else []:
            if mentioned != user.user_id:
                tx.webhook("mention", {**head, "user_id": mentioned, "message": wh_message}, at=now)
    return out, True


async def get_message(runtime: Runtime, user: User, dialog_id: uuid.UUID, message_id: uuid.UUID) -> MessageOut:
    async with runtime.read() as session:
        await access_member(session, user, dialog_id)
        [out] = await with_attachments(
            runtime, session, [message_out(await _message_in(session, dialog_id, message_id))]
        )
        return out


async def edit_message(
    runtime: Runtime, user: User, dialog_id: uuid.UUID, message_id: uuid.UUID, body: EditMessageIn
) -> MessageOut:
    async with runtime.tx() as tx:
        session = tx.session
        dialog, _me = await access_member(session, user, dialog_id)
        message = await _message_in(session, dialog_id, message_id)
        if message.sender_id != user.user_id:
            raise NotMessageAuthor()
        members = await participant_ids(session, dialog_id)
        clean = sanitize(body.content, members)
        if not clean.text and not clean.mentions:
            raise InvalidInput("content is empty after sanitizing")
        now = utcnow()
        session.add(
            MessageEdit(
                id=new_id(),
                message_id=message.id,
                previous_content=message.content,
                edited_at=now,
                editor_id=user.user_id,
            )
        )
        message.content = clean.html
        message.text = clean.text
        message.mentions = clean.mentions
        message.last_edited_at = now
        await session.flush()
        [out] = await with_attachments(runtime, session, [message_out(message)])
        tx.emit(members, MessageEdited(dialog_id=dialog_id, message=out.model_dump(mode="json")))
        data = {**_dialog_head(dialog), "message": {**_webhook_message(message), "last_edited_at": now.isoformat()}}
        tx.webhook("message.edited", data, at=now)
        return out


async def delete_message(runtime: Runtime, user: User, dialog_id: uuid.UUID, message_id: uuid.UUID) -> None:
    async with runtime.tx() as tx:
        session = tx.session
        dialog, _me = await access_member(session, user, dialog_id, for_update=True)
        message = await _message_in(session, dialog_id, message_id)
        if message.sender_id != user.user_id:
            raise NotMessageAuthor()
        # It no longer counts as unread for those who had not read it yet.
        await session.execute(
            update(Participant)
            .where(
                Participant.dialog_id == dialog_id,
                Participant.user_id != user.user_id,
                Participant.last_read_seq < message.seq,
                Participant.unread_count > 0,
            )
            .values(unread_count=Participant.unread_count - 1)
            .execution_options(synchronize_session=False)
        )
        await session.execute(delete(MessageEdit).where(MessageEdit.message_id == message.id))
        await delete_message_files(tx, message.id)
        await session.delete(message)
        tx.emit(await participant_ids(session, dialog_id), MessageDeleted(dialog_id=dialog_id, message_id=message_id))
        tx.webhook(
            "message.deleted",
            {**_dialog_head(dialog), "message_id": str(message_id), "sender_id": message.sender_id},
        )


async def history(
    runtime: Runtime,
    user: User,
    dialog_id: uuid.UUID,
    *,
    limit: int = DEFAULT_PAGE,
    before: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    around: uuid.UUID | None = None,
    after_seq: int | None = None,
) -> HistoryOut:
    anchors = [a for a in (before, after, around) if a is not None]
    if len(anchors) + (after_seq is not None) > 1:
        raise InvalidInput("use at most one of before, after, around, after_seq")
    limit = max(1, min(limit, MAX_PAGE))
    async with runtime.read() as session:
        _dialog, me = await access_member(session, user, dialog_id)
        base = select(Message).where(Message.dialog_id == dialog_id)

        async def fetch(cond: Any, newest_first: bool, n: int) -> tuple[list[Message], bool]:
            """Up to n messages next to the anchor, ascending, and whether more lie beyond them."""
            if n <= 0:
                return [], bool(await session.scalar(select(exists().where(Message.dialog_id == dialog_id, cond))))
            order = Message.seq.desc() if newest_first else Message.seq.asc()
            rows = list(await session.scalars(base.where(cond).order_by(order).limit(n + 1)))
            more = len(rows) > n
            rows = rows[:n]
            return (rows[::-1] if newest_first else rows), more

        # limit + 1 rows answer has_more_* in the direction of travel; the anchor itself lies on the other side.
        if after_seq is not None:
            page, more_after = await fetch(Message.seq > after_seq, False, limit)
            _none, more_before = await fetch(Message.seq <= after_seq, True, 0)
        elif not anchors:
            page, more_before = await fetch(true(), True, limit)
            more_after = False
        else:
            anchor_seq = (await _message_in(session, dialog_id, anchors[0])).seq
            if before is not None:
                page, more_before = await fetch(Message.seq < anchor_seq, True, limit)
                more_after = True
            elif after is not None:
                page, more_after = await fetch(Message.seq > anchor_seq, False, limit)
                more_before = True
            else:
                older, more_before = await fetch(Message.seq < anchor_seq, True, (limit - 1) // 2)
                newer, more_after = await fetch(Message.seq >= anchor_seq, False, limit - len(older))
                page = older + newer

        first_unread = None
        if me.unread_count > 0:  # kept exact on send, read, delete: 0 means nothing is unread
            mine = (m for m in page if m.seq > me.last_read_seq and m.sender_id != user.user_id)
            in_page = next(mine, None)
            starts_at_read_point = bool(page) and (page[0].seq <= me.last_read_seq + 1 or not more_before)
            if starts_at_read_point and in_page is not None:
                first_unread = in_page.id
            else:
                first_unread = await session.scalar(
                    select(Message.id)
                    .where(Message.dialog_id == dialog_id, Message.seq > me.last_read_seq, _not_from(user.user_id))
                    .order_by(Message.seq.asc())
                    .limit(1)
                )
        return HistoryOut(
            messages=await with_attachments(runtime, session, [message_out(m) for m in page]),
            has_more_before=more_before,
            has_more_after=more_after,
            first_unread_message_id=first_unread,
        )


async def mark_read(runtime: Runtime, user: User, dialog_id: uuid.UUID, message_id: uuid.UUID) -> ReadStateOut:
    async with runtime.tx() as tx:
        session = tx.session
        # Same lock as send: the unread count below cannot miss a concurrent message.
        _dialog, me = await access_member(session, user, dialog_id, for_update=True)
        message = await _message_in(session, dialog_id, message_id)
        if message.seq > me.last_read_seq:
            unread = await session.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.dialog_id == dialog_id, Message.seq > message.seq, _not_from(user.user_id))
            )
            me.last_read_seq = message.seq
            me.last_read_message_id = message.id
            me.unread_count = int(unread or 0)
            await session.flush()
            tx.emit(
                await participant_ids(session, dialog_id),
                MessageRead(dialog_id=dialog_id, user_id=user.user_id, last_read_message_id=message.id),
            )
        return ReadStateOut(
            dialog_id=dialog_id, last_read_message_id=me.last_read_message_id, unread_count=me.unread_count
        )


async def readers(runtime: Runtime, user: User, dialog_id: uuid.UUID, message_id: uuid.UUID) -> list[ReaderOut]:
    async with runtime.read() as session:
        await access_member(session, user, dialog_id)
        message = await _message_in(session, dialog_id, message_id)
        stmt = select(Participant).where(Participant.dialog_id == dialog_id, Participant.last_read_seq >= message.seq)
        if message.sender_id is not None:
            stmt = stmt.where(Participant.user_id != message.sender_id)
        rows = await session.scalars(stmt.order_by(Participant.user_id))
        return [
            ReaderOut(user_id=p.user_id, display_name=p.display_name, last_read_message_id=p.last_read_message_id)
            for p in rows
        ]


def _like_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_WORD = re.compile(r"\w+")
_SEARCH_TSV: ColumnElement[Any] = literal_column("messages.search_tsv")  # PostgreSQL only (migration 0002), not mapped


# Up to this many dialogs, search reads the user's own dialogs' messages and tests each (PostgreSQL: a
# few ms); beyond, it starts from the full-text index and keeps the user's messages. Left to itself the
# planner combined both per dialog (the word's whole index entry once per dialog: 150 ms; docs/decisions/002).
SEARCH_SCAN_MY_DIALOGS_UP_TO = 1000


def _match_clause(q: str, dialect: str, *, use_index: bool) -> ColumnElement[bool]:
    """Every word of q must occur in the message.

    PostgreSQL: as a word prefix, by full text (``simple`` configuration: no stemming, any language;
    ``messages.search_tsv``, GIN-indexed, used only when ``use_index``). SQLite: as a case-insensitive
    substring (ASCII case folding only). A query without letters or digits is one substring on both.
    """
    words = _WORD.findall(q.lower())
    if not words:
        return Message.text.ilike(_like_pattern(q), escape="\\")
    if dialect == "postgresql":
        # Only \w+ tokens reach to_tsquery, so no tsquery syntax can be injected.
        tsquery = func.to_tsquery(literal("simple", REGCONFIG), " & ".join(f"{w}:*" for w in words))
        # coalesce(...) is the same value, but no index matches it: the per-row test.
        tsv = _SEARCH_TSV if use_index else func.coalesce(_SEARCH_TSV, literal_column("''::tsvector"))
        return tsv.op("@@", return_type=Boolean)(tsquery)
    return and_(*(Message.text.ilike(_like_pattern(w), escape="\\") for w in words))


async def search(runtime: Runtime, user: User, q: str, limit: int = SEARCH_LIMIT) -> list[MessageOut]:
    q = q.strip()
    if not q:
        raise InvalidInput("q must not be empty")
    dialect = runtime.engine.dialect.name
    async with runtime.read() as session:
        use_index = False
        if dialect == "postgresql":
            mine = select(Participant.dialog_id).where(Participant.user_id == user.user_id)
            many = mine.offset(SEARCH_SCAN_MY_DIALOGS_UP_TO).limit(1)
            use_index = await session.scalar(many) is not None
        stmt = (
            select(Message)
            .join(
                Participant,
                (Participant.dialog_id == Message.dialog_id) & (Participant.user_id == user.user_id),
            )
            .where(_match_clause(q, dialect, use_index=use_index))
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(max(1, min(limit, SEARCH_LIMIT)))
        )
        return await with_attachments(runtime, session, [message_out(m) for m in await session.scalars(stmt)])
