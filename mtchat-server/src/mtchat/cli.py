"""`mtchat serve | worker | migrate | token | demo` (SPEC §3)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from mtchat.settings import ConfigError, Settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def _settings_or_exit() -> Settings:
    settings = Settings()
    try:
        settings.check_production()
    except ConfigError as exc:
        print(f"mtchat: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    return settings


def _workers(args: argparse.Namespace) -> int:
    raw = args.workers if args.workers is not None else os.environ.get("WEB_CONCURRENCY", "1")
    try:
        workers = int(raw)
    except ValueError:
        workers = 0
    if workers < 1:
        print(f"mtchat serve: --workers / WEB_CONCURRENCY must be a positive integer, not {raw!r}", file=sys.stderr)
        raise SystemExit(2)
    return workers


def _tune_gc() -> None:
    """Call once the app is built: GC settings for a server holding thousands of sockets."""
    # What is alive now (modules, classes, the app) lives as long as the process: out of full GCs.
    gc.freeze()
    # A full collection walks every object of every socket: 110-135 ms with 1,000 sockets, and with
    # the default thresholds one ran every ~2 s during a fan-out (each message makes ~1,000 short-lived
    # tasks). Fewer, larger young collections push them far apart (docs/benchmarks.md, issue 4).
    gc.set_threshold(10_000, 10, 10)


def app_factory() -> FastAPI:
    """What each `mtchat serve --workers N` process runs (settings from the environment)."""
    from mtchat.app import create_app

    app = create_app()
    _tune_gc()
    return app


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings_or_exit()
    port = args.port if args.port is not None else settings.port
    workers = _workers(args)
    # Not per-message-deflate: compressing each frame for each socket is CPU spent on every
    # fan-out, and the compressor/decompressor pair is most of an idle socket's memory; chat
    # frames are small. Clients negotiate it away transparently.
    options: dict[str, Any] = {
        "host": args.host,
        "port": port,
        "log_level": settings.log_level,
        "ws_max_size": 1024 * 1024,
        "ws_per_message_deflate": False,
    }
    if workers == 1:
        from mtchat.app import create_app

        app = create_app(settings)
        _tune_gc()
        uvicorn.run(app, **options)
        return 0
    # Several processes share fan-out and presence only through Redis, and writes through the
    # database: the embedded mode (SQLite, in-process hub) must stay one process.
    if not (settings.redis_url and settings.is_postgres):
        print(
            "mtchat serve: --workers > 1 needs DATABASE_URL (PostgreSQL) and REDIS_URL; "
            "the embedded mode (SQLite, in-process fan-out) runs as one process",
            file=sys.stderr,
        )
        return 2
    if settings.mtchat_auto_migrate:
        _migrate(args)  # once, here, instead of every worker racing to migrate on start
        os.environ["MTCHAT_AUTO_MIGRATE"] = "false"
    uvicorn.run("mtchat.cli:app_factory", factory=True, workers=workers, **options)
    return 0


def _worker(_args: argparse.Namespace) -> int:
    """Background jobs only (webhook delivery), sharing the database with `mtchat serve`."""
    from mtchat.app import build_runtime
    from mtchat.db.migrate import upgrade_to_head
    from mtchat.workers import start_background

    settings = _settings_or_exit()

    async def run() -> None:
        runtime = build_runtime(settings)
        if settings.mtchat_auto_migrate:
            await upgrade_to_head(runtime.engine)
        await runtime.hub.start()
        start_background(runtime, serve=False)
        try:
            await asyncio.gather(*runtime.tasks)
        finally:
            await runtime.hub.close()
            await runtime.rate_limiter.close()
            await runtime.engine.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from mtchat.db.engine import make_engine
    from mtchat.db.migrate import upgrade_to_head

    settings = Settings()

    async def run() -> None:
        engine = make_engine(settings.sqlalchemy_url)
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("mtchat: database is at the latest schema")
    return 0


def _token(args: argparse.Namespace) -> int:
    from mtchat.auth import mint_admin_token, mint_user_token
    from mtchat.errors import Unauthorized

    settings = Settings()
    try:
        if args.admin:
            print(mint_admin_token(settings, args.ttl))
            return 0
        if not args.user:
            print("mtchat token: --user is required (or --admin)", file=sys.stderr)
            return 2
        print(
            mint_user_token(
                settings,
                args.user,
                tenant_uid=args.tenant,
                scope_level1=[s for s in (args.scope1 or "").split(",") if s],
                scope_level2=[s for s in (args.scope2 or "").split(",") if s],
                ttl_seconds=args.ttl,
                name=args.name or "",
                company=args.company or "",
            )
        )
    except Unauthorized as exc:
        print(f"mtchat token: {exc.message}", file=sys.stderr)
        return 2
    return 0


def _demo(args: argparse.Namespace) -> int:
    from mtchat.demo import main as demo_main

    return demo_main(port=args.port, api_only=args.api_only, data_dir=args.data_dir)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="mtchat", description="MTChat chat service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP/WebSocket server (migrates on start)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes (default: WEB_CONCURRENCY or 1); more than 1 needs PostgreSQL and Redis",
    )
    serve.set_defaults(func=_serve)
    worker = sub.add_parser("worker", help="run background jobs (webhook delivery) without HTTP")
    worker.set_defaults(func=_worker)
    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=_migrate)
    token = sub.add_parser("token", help="mint a token with the configured secrets (development)")
    token.add_argument("--user")
    token.add_argument("--tenant")
    token.add_argument("--scope1")
    token.add_argument("--scope2")
    token.add_argument("--name")
    token.add_argument("--company")
    token.add_argument("--ttl", type=int, default=24 * 3600)
    token.add_argument("--admin", action="store_true")
    token.set_defaults(func=_token)
    demo = sub.add_parser(
        "demo", help="embedded default with demo data (and the TMS demo app in a built checkout); development only"
    )
    demo.add_argument("--port", type=int, default=None, help="MTChat's port (default: MTCHAT_PORT or 8080)")
    demo.add_argument("--api-only", action="store_true", help="only the service, seeded, with printed tokens")
    demo.add_argument("--data-dir", default=None, help="default: ./.mtchat/demo")
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result
