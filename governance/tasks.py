"""Celery entry points of the governance app: thin, idempotent, taking ids."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="governance.health", bind=True, acks_late=True, reject_on_worker_lost=True)
def health(self: Any, nonce: str) -> dict[str, str]:
    """Round trip for monitoring: echoes the nonce with the name of the worker that ran it."""
    return {"nonce": nonce, "worker": str(self.request.hostname)}
