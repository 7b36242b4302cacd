"""A task sent through Redis reaches a live worker process and its result comes back."""

import uuid

import pytest

from governance.tasks import health


@pytest.mark.worker
def test_health_task_round_trip_through_a_live_worker(celery_worker):
    nonce = uuid.uuid4().hex
    result = health.apply_async(args=[nonce])
    assert result.get(timeout=30) == {"nonce": nonce, "worker": celery_worker.hostname}
