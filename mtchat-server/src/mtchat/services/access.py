"""Who may see what (SPEC §4, §6). Every route that touches a dialog goes through these."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mtchat.auth import User
from mtchat.db.models import AccessScope, Dialog, Participant
from mtchat.domain.scopes import Scope, any_scope_matches
from mtchat.errors import DialogNotFound, NotParticipant


@dataclass
class DialogAccess:
    dialog: Dialog
    participant: Participant | None
    can_join: bool

    @property
    def is_member(self) -> bool:
        return self.participant is not None


async def load_scopes(session: AsyncSession, dialog_id: uuid.UUID) -> list[AccessScope]:
    rows = await session.scalars(select(AccessScope).where(AccessScope.dialog_id == dialog_id))
    return list(rows)


def user_matches(user: User, scopes: list[AccessScope]) -> bool:
    return any_scope_matches(
        (Scope(s.tenant_uid, tuple(s.scope_level1), tuple(s.scope_level2)) for s in scopes),
        user.tenant_uid,
        user.scope_level1,
        user.scope_level2,
    )


async def load_dialog(session: AsyncSession, dialog_id: uuid.UUID, *, for_update: bool = False) -> Dialog:
    """The dialog (optionally row-locked), or DialogNotFound. No visibility check: admin paths only."""
    stmt = select(Dialog).where(Dialog.id == dialog_id)
    if for_update:
        stmt = stmt.with_for_update()
    dialog = await session.scalar(stmt)
    if dialog is None:
        raise DialogNotFound()
    return dialog


async def access_dialog(
    session: AsyncSession, user: User, dialog_id: uuid.UUID, *, for_update: bool = False
) -> DialogAccess:
    """Load a dialog the user may see (participant or matching scope), else DialogNotFound (404)."""
    # One round trip for the dialog (locked if asked) and the user's participant row.
    stmt = (
        select(Dialog, Participant)
        .outerjoin(Participant, (Participant.dialog_id == Dialog.id) & (Participant.user_id == user.user_id))
        .where(Dialog.id == dialog_id)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Dialog)
    row = (await session.execute(stmt)).first()
    if row is None:
        raise DialogNotFound()
    dialog, participant = row
    if participant is not None:
        return DialogAccess(dialog, participant, can_join=False)
    if user_matches(user, await load_scopes(session, dialog_id)):
        return DialogAccess(dialog, None, can_join=True)
    raise DialogNotFound()


async def access_member(
    session: AsyncSession, user: User, dialog_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Dialog, Participant]:
    """Like access_dialog, but membership is required: potential participants get 403."""
    access = await access_dialog(session, user, dialog_id, for_update=for_update)
    if access.participant is None:
        raise NotParticipant()
    return access.dialog, access.participant
