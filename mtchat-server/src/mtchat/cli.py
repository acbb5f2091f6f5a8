"""`mtchat serve | worker | migrate | token` (SPEC §3)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from mtchat.settings import ConfigError, Settings


def _settings_or_exit() -> Settings:
    settings = Settings()
    try:
        settings.check_production()
    except ConfigError as exc:
        print(f"mtchat: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    return settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mtchat.app import create_app

    settings = _settings_or_exit()
    app = create_app(settings)
    port = args.port if args.port is not None else settings.port
    uvicorn.run(app, host=args.host, port=port, log_level=settings.log_level, ws_max_size=1024 * 1024)
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


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="mtchat", description="MTChat chat service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP/WebSocket server (migrates on start)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None)
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
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result
