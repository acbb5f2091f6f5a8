"""Scope matching (SPEC §4), the pure rule. The SQL form lives in services/visibility.py and the
table test checks that both agree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    tenant_uid: str
    scope_level1: tuple[str, ...] = ()
    scope_level2: tuple[str, ...] = ()


def _level_matches(dialog_side: Sequence[str], user_side: Sequence[str]) -> bool:
    # An empty dialog-side list means "any value"; a user with an empty list then still matches.
    # A non-empty dialog-side list needs a shared value, so an empty user list never matches it.
    if not dialog_side:
        return True
    return not set(dialog_side).isdisjoint(user_side)


def scope_matches(scope: Scope, tenant_uid: str | None, level1: Sequence[str], level2: Sequence[str]) -> bool:
    if not tenant_uid or scope.tenant_uid != tenant_uid:
        return False
    return _level_matches(scope.scope_level1, level1) and _level_matches(scope.scope_level2, level2)


def any_scope_matches(
    scopes: Iterable[Scope], tenant_uid: str | None, level1: Sequence[str], level2: Sequence[str]
) -> bool:
    return any(scope_matches(s, tenant_uid, level1, level2) for s in scopes)
