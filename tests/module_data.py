"""Data built once for a module of tests, shared by its tests and rolled back at its end.

A module whose every test needs the same expensive world (the authorization matrix, the API
fuzzing) builds it once inside a transaction held open across the module. Each test then runs
in a savepoint of that transaction (pytest-django's ``db``), so what one test writes is undone
before the next one starts, and at the end of the module the whole world is rolled back too:
nothing is ever committed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.db import transaction

Built = TypeVar("Built")


@contextlib.contextmanager
def built_once(django_db_blocker: Any, build: Callable[[], Built]) -> Iterator[Built]:
    """``build()`` inside a transaction that stays open until the context closes, then is
    rolled back. For a module-scoped fixture that also asks for ``django_db_setup``."""
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
