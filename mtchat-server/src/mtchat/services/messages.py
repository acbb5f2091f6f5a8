"""Messages: send, get, edit, delete, history, read state, receipts, search (SPEC §5.3).

Ordering: every message gets ``seq`` from ``dialogs.last_seq`` bumped under the dialog's row lock,
so within a dialog seq order is commit order and paging by seq never skips or doubles a message.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import delete, exists, func, or_, select, update
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
from mtchat.db.types import utcnow
from mtchat.domain.limits import DEFAULT_PAGE, MAX_PAGE
from mtchat.domain.sanitize import sanitize
from mtchat.errors import InvalidInput, MessageNotFound, NotMessageAuthor
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


async def _participants(session: AsyncSession, dialog_id: uuid.UUID) -> list[Participant]:
    return list(await session.scalars(select(Participant).where(Participant.dialog_id == dialog_id)))


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


async def _send(tx: Tx, user: User, dialog_id: uuid.UUID, body: SendMessageIn) -> tuple[MessageOut, bool]:
    session = tx.session
    # The dialog row lock serialises sends (and read-state updates) per dialog.
    dialog, me = await access_member(session, user, dialog_id, for_update=True)
    if body.client_message_id is not None:
        existing = await _by_client_id(session, dialog_id, user.user_id, body.client_message_id)
        if existing is not None:
            return (await with_attachments(tx.runtime, session, [message_out(existing)]))[0], False
    participants = await _participants(session, dialog_id)
    clean = sanitize(body.content, (p.user_id for p in participants)) if body.content.strip() else None
    if (clean is None or (not clean.text and not clean.mentions)) and not body.attachments:
        raise InvalidInput("content: empty message (send text or attachments)")
    if body.reply_to is not None:
        await _message_in(session, dialog_id, body.reply_to)

    now = utcnow()
    seq = (
        await session.execute(
            update(Dialog)
            .where(Dialog.id == dialog_id)
            .values(last_seq=Dialog.last_seq + 1, last_message_at=now, activity_at=now)
            .returning(Dialog.last_seq)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one()
    message = Message(
        id=new_id(),
        dialog_id=dialog_id,
        seq=seq,
        sender_id=user.user_id,
        sender_name=me.display_name or user.name,
        message_type="user",
        content=clean.html if clean else "",
        text=clean.text if clean else "",
        reply_to_id=body.reply_to,
        mentions=clean.mentions if clean else [],
        client_message_id=body.client_message_id,
        sent_at=now,
    )
    session.add(message)
    await session.flush()
    bound = await bind_attachments(tx, user.user_id, dialog_id, message, [a.model_dump() for a in body.attachments])
    await session.execute(
        update(Participant)
        .where(Participant.dialog_id == dialog_id, Participant.user_id != user.user_id)
        .values(unread_count=Participant.unread_count + 1, activity_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Participant)
        .where(Participant.dialog_id == dialog_id, Participant.user_id == user.user_id)
        .values(last_read_message_id=message.id, last_read_seq=seq, unread_count=0, activity_at=now)
        .execution_options(synchronize_session=False)
    )

    # A new message brings the dialog back from everyone's archive.
    await session.execute(
        update(Participant)
        .where(Participant.dialog_id == dialog_id, Participant.is_archived.is_(True))
        .values(is_archived=False)
        .execution_options(synchronize_session=False)
    )
    out = message_out(message)
    if bound:
        await with_attachments(tx.runtime, session, [out])
    recipients = [p.user_id for p in participants]
    tx.emit(recipients, MessageNew(dialog_id=dialog_id, message=out.model_dump(mode="json")))
    head = _dialog_head(dialog)
    wh_message = _webhook_message(message)
    wh_message["attachments"] = [
        {"id": str(a.id), "filename": a.filename, "content_type": a.content_type, "size": a.size} for a in bound
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
        participants = await _participants(session, dialog_id)
        clean = sanitize(body.content, (p.user_id for p in participants))
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
        tx.emit(
            [p.user_id for p in participants],
            MessageEdited(dialog_id=dialog_id, message=out.model_dump(mode="json")),
        )
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
        participants = await _participants(session, dialog_id)
        tx.emit([p.user_id for p in participants], MessageDeleted(dialog_id=dialog_id, message_id=message_id))
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
) -> HistoryOut:
    anchors = [a for a in (before, after, around) if a is not None]
    if len(anchors) > 1:
        raise InvalidInput("use at most one of before, after, around")
    limit = max(1, min(limit, MAX_PAGE))
    async with runtime.read() as session:
        _dialog, me = await access_member(session, user, dialog_id)
        base = select(Message).where(Message.dialog_id == dialog_id)
        mode: Literal["latest", "before", "after", "around"] = "latest"
        anchor_seq = 0
        if anchors:
            anchor_seq = (await _message_in(session, dialog_id, anchors[0])).seq
            mode = "before" if before else "after" if after else "around"

        page: list[Message]
        if mode == "latest":
            page = list(await session.scalars(base.order_by(Message.seq.desc()).limit(limit)))[::-1]
        elif mode == "before":
            stmt = base.where(Message.seq < anchor_seq).order_by(Message.seq.desc()).limit(limit)
            page = list(await session.scalars(stmt))[::-1]
        elif mode == "after":
            stmt = base.where(Message.seq > anchor_seq).order_by(Message.seq.asc()).limit(limit)
            page = list(await session.scalars(stmt))
        else:
            older = (limit - 1) // 2
            stmt = base.where(Message.seq < anchor_seq).order_by(Message.seq.desc()).limit(older)
            page = list(await session.scalars(stmt))[::-1]
            stmt = base.where(Message.seq >= anchor_seq).order_by(Message.seq.asc()).limit(limit - len(page))
            page += list(await session.scalars(stmt))

        async def any_where(*cond: Any) -> bool:
            found = await session.scalar(select(exists().where(Message.dialog_id == dialog_id, *cond)))
            return bool(found)

        if page:
            more_before = await any_where(Message.seq < page[0].seq)
            more_after = await any_where(Message.seq > page[-1].seq)
        elif mode == "before":
            more_before, more_after = False, await any_where(Message.seq >= anchor_seq)
        elif mode == "after":
            more_before, more_after = await any_where(Message.seq <= anchor_seq), False
        else:
            more_before = more_after = False

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
            participants = await _participants(session, dialog_id)
            tx.emit(
                [p.user_id for p in participants],
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


async def search(runtime: Runtime, user: User, q: str, limit: int = SEARCH_LIMIT) -> list[MessageOut]:
    q = q.strip()
    if not q:
        raise InvalidInput("q must not be empty")
    async with runtime.read() as session:
        stmt = (
            select(Message)
            .join(
                Participant,
                (Participant.dialog_id == Message.dialog_id) & (Participant.user_id == user.user_id),
            )
            .where(Message.text.ilike(_like_pattern(q), escape="\\"))
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(max(1, min(limit, SEARCH_LIMIT)))
        )
        return await with_attachments(runtime, session, [message_out(m) for m in await session.scalars(stmt)])
