"""The docs stay true: docs/operations.md lists exactly the variables `Settings` reads, and the
README's and docs' relative links point at files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mtchat.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "operations.md"
NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")


def env_table() -> dict[str, str]:
    """Variable → its default cell, from the table under '## Environment'."""
    section = DOC.read_text(encoding="utf-8").split("## Environment", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not line.lstrip().startswith("|"):
            continue
        for name in NAME.findall(cells[0]):
            rows[name] = cells[1]
    return rows


def settings_env() -> dict[str, object]:
    assert Settings.model_config.get("env_prefix", "") == ""
    return {name.upper(): field.default for name, field in Settings.model_fields.items()}


def test_every_setting_is_documented_and_nothing_else() -> None:
    documented, read = set(env_table()), set(settings_env())
    assert read - documented == set(), f"add to docs/operations.md: {sorted(read - documented)}"
    assert documented - read == set(), f"documented but not read by Settings: {sorted(documented - read)}"


def test_numeric_defaults_match() -> None:
    defaults = settings_env()
    checked = 0
    for name, cell in env_table().items():
        text = cell.strip("` ")
        if re.fullmatch(r"\d+(\.\d+)?", text):
            assert float(text) == defaults[name], f"{name}: docs say {text}, Settings has {defaults[name]!r}"
            checked += 1
    assert checked >= 10  # the parser still finds the table


LINK = re.compile(r"\]\(([^)\s]+)\)")


PAGES = [
    "README.md",
    "mtchat-example/README.md",
    "mtchat-server/README.md",
    *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("docs/*.md")),
]


@pytest.mark.parametrize("page", PAGES)
def test_relative_links_exist(page: str) -> None:
    path = ROOT / page
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # external or in-page
        assert (path.parent / target.split("#", 1)[0]).exists(), f"{page}: broken link {target}"
