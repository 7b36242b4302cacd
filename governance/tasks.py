"""Celery entry points of the governance app: thin, idempotent, taking ids."""

from __future__ import annotations

import socket

from celery import shared_task


@shared_task(name="governance.health", acks_late=True, reject_on_worker_lost=True)
def health(nonce: str) -> dict[str, str]:
    """Round trip for monitoring: echoes the nonce with the worker's host name."""
    return {"nonce": nonce, "worker": socket.gethostname()}
