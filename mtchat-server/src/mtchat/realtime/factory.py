from __future__ import annotations

from mtchat.realtime.hub import Hub
from mtchat.realtime.memory import MemoryHub
from mtchat.settings import Settings


def make_hub(settings: Settings) -> Hub:
    return MemoryHub()
