"""All HTTP routers, registered in one place (add a module to ROUTERS when you add one)."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

ROUTERS: list[str] = ["ws", "webhooks_admin", "management", "dialogs", "messages", "uploads"]


def include_routes(app: FastAPI) -> None:
    for name in ROUTERS:
        module = importlib.import_module(f"mtchat.api.routes.{name}")
        app.include_router(module.router)
