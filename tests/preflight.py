"""Probe the real services the suite uses, then run pytest with what was found.

    python -m tests.preflight [pytest arguments]

PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/throughline), Redis
(REDIS_URL, default redis://127.0.0.1:6379/15) and Chromium (CHROMIUM_PATH, default
/usr/bin/chromium). Under CI=true every one is required and a missing one stops the run here.
Outside CI the suite falls back to SQLite and skips what needs the missing services. With
PostgreSQL, requests and tasks run as the application role DATABASE_ROLE (throughline_app
unless set), under row-level security.
"""

from __future__ import annotations

import os
import shutil
import sys

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/throughline"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def _postgres_ok(url: str) -> str | None:
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(url)
    try:
        psycopg2.connect(
            dbname="postgres",
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            connect_timeout=3,
        ).close()
    except psycopg2.Error as exc:
        return str(exc).strip()
    return None


def _redis_ok(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


def main(argv: list[str]) -> None:
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    found: list[str] = []
    problems: dict[str, str] = {}

    if database_url.startswith("sqlite"):
        problems["postgres"] = "DATABASE_URL points at SQLite"
    elif (error := _postgres_ok(database_url)) is None:
        found.append("postgres")
    else:
        problems["postgres"] = error
    if (error := _redis_ok(redis_url)) is None:
        found.append("redis")
    else:
        problems["redis"] = error
    if shutil.which(chromium) or os.path.exists(chromium):
        found.append("chromium")
    else:
        problems["chromium"] = f"{chromium} not found (apt-get install chromium)"

    for name, problem in problems.items():
        print(f"preflight: {name} unavailable: {problem}", file=sys.stderr)
    if ci and problems:
        print("preflight: CI=true requires PostgreSQL, Redis and Chromium.", file=sys.stderr)
        sys.exit(3)

    env = os.environ
    env["THROUGHLINE_TEST_SERVICES"] = ",".join(found)
    env["DATABASE_URL"] = database_url if "postgres" in found else "sqlite:///throughline.sqlite3"
    if "postgres" in found:
        # Requests and tasks switch to this role, which row-level security applies to; the
        # test database's migrations create it. The tests' own set-up runs as the superuser.
        env.setdefault("DATABASE_ROLE", "throughline_app")
    env["TEST_REDIS_URL"] = redis_url
    # The test process itself runs tasks eagerly; tests that need the live worker say so.
    env["CELERY_TASK_ALWAYS_EAGER"] = "true"
    env.pop("REDIS_URL", None)
    env.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop.
    role = env.get("DATABASE_ROLE") or "none"
    print(
        f"preflight: services: {', '.join(found) or 'none'}; database: {env['DATABASE_URL']}; "
        f"application role: {role}"
    )
    os.execvp(sys.executable, [sys.executable, "-m", "pytest", *argv])  # noqa: S606


if __name__ == "__main__":
    main(sys.argv[1:])
