"""Background jobs run inside `mtchat serve` (and `mtchat worker`). One module per job."""

from __future__ import annotations

from mtchat.runtime import Runtime


def start_background(runtime: Runtime, *, serve: bool = True) -> None:
    """Start the periodic jobs this process should run (each is a loop that survives errors)."""
    from mtchat.workers.archive import archive_loop
    from mtchat.workers.cleanup import cleanup_loop
    from mtchat.workers.notifications import notification_loop
    from mtchat.workers.webhook_delivery import delivery_loop

    settings = runtime.settings
    if settings.webhook_url and (settings.webhook_workers_in_serve or not serve):
        runtime.spawn(delivery_loop(runtime), "webhook-delivery")
    if settings.webhook_url:
        # Cheap and idempotent under SKIP LOCKED, so every process may run it.
        runtime.spawn(notification_loop(runtime), "notifications")
    if settings.archive_after_seconds > 0:
        runtime.spawn(archive_loop(runtime), "auto-archive")
    if runtime.storage is not None:
        runtime.spawn(cleanup_loop(runtime), "upload-cleanup")
