"""The ASGI application: ``create_app(settings)`` builds everything once in the lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from mtchat import __version__
from mtchat.api.errors import install_error_handlers
from mtchat.api.middleware import BodySizeLimit
from mtchat.api.routes import health
from mtchat.db.engine import make_engine, make_sessionmaker
from mtchat.db.migrate import upgrade_to_head
from mtchat.ratelimit import make_rate_limiter
from mtchat.realtime.factory import make_hub
from mtchat.runtime import Runtime
from mtchat.settings import Settings
from mtchat.storage.factory import make_storage
from mtchat.workers import start_background

log = logging.getLogger("mtchat")


def build_runtime(settings: Settings) -> Runtime:
    engine = make_engine(settings.sqlalchemy_url)
    limiter = make_rate_limiter(settings.redis_url, settings.rate_limit_per_minute)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        hub=make_hub(settings),
        rate_limiter=limiter,
        write_lock=asyncio.Lock() if engine.dialect.name == "sqlite" else None,
        storage=make_storage(settings),
    )
    return runtime


def create_app(settings: Settings | None = None, *, run_background: bool = True) -> FastAPI:
    settings = settings or Settings()
    warnings = settings.check_production()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.mtchat_dev:
            log.warning(
                "MTCHAT_DEV=true: development mode, NOT for production (%s)",
                "; ".join(warnings) or "X-Scope-Config honoured, CORS open",
            )
        runtime = build_runtime(settings)
        if settings.mtchat_auto_migrate:
            await upgrade_to_head(runtime.engine)
        await runtime.hub.start()
        app.state.runtime = runtime
        if run_background:
            start_background(runtime)
        try:
            yield
        finally:
            await runtime.stop_background()
            await runtime.hub.close()
            await runtime.rate_limiter.close()
            await runtime.engine.dispose()

    app = FastAPI(
        title="MTChat",
        version=__version__,
        description="Embeddable, object-bound chat service: Management API (host backend), "
        "Chat API (end users, via the Vue SDK), WebSocket and webhooks.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    origins = settings.cors_allowed_origins or (["*"] if settings.mtchat_dev else [])
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["*"],
            allow_headers=["*"],
            max_age=600,
        )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, exempt_prefixes=("/api/v1/upload/local/",))
    app.include_router(health.router)
    from mtchat.api.routes import include_routes

    include_routes(app)
    return app
