from __future__ import annotations

import pytest

from mtchat.domain.scopes import Scope, any_scope_matches, scope_matches

S = Scope("t1", ("logistics", "sales"), ("tender:manager", "tender:admin"))


@pytest.mark.parametrize(
    ("scope", "tenant", "l1", "l2", "expected"),
    [
        (S, "t1", ["logistics"], ["tender:manager"], True),
        (S, "t1", ["sales", "x"], ["tender:admin"], True),
        (S, "t2", ["logistics"], ["tender:manager"], False),
        (S, None, ["logistics"], ["tender:manager"], False),
        (S, "t1", ["hr"], ["tender:manager"], False),
        (S, "t1", ["logistics"], ["tender:viewer"], False),
        (S, "t1", [], ["tender:manager"], False),
        (S, "t1", ["logistics"], [], False),
        (Scope("t1"), "t1", [], [], True),
        (Scope("t1"), "t1", ["a"], ["b"], True),
        (Scope("t1", (), ("r",)), "t1", ["anything"], ["r"], True),
        (Scope("t1", (), ("r",)), "t1", ["anything"], [], False),
        (Scope("t1", ("d",), ()), "t1", ["d"], [], True),
    ],
)
def test_scope_rule(scope: Scope, tenant: str | None, l1: list[str], l2: list[str], expected: bool) -> None:
    assert scope_matches(scope, tenant, l1, l2) is expected


def test_several_scopes_are_or() -> None:
    scopes = [Scope("t1", ("a",), ()), Scope("t2", (), ("r",))]
    assert any_scope_matches(scopes, "t2", [], ["r"])
    assert any_scope_matches(scopes, "t1", ["a"], [])
    assert not any_scope_matches(scopes, "t3", ["a"], ["r"])
    assert not any_scope_matches([], "t1", ["a"], ["r"])
