"""Settings come from the environment and a malformed value stops start-up, naming it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A production environment: HTTPS only, real secret, PostgreSQL and Redis.
PRODUCTION = {
    "HTTPS_ONLY": "true",
    "SECRET_KEY": "k" * 20 + "-production-secret-" + "x9" * 20,
    "ALLOWED_HOSTS": "throughline.example.com",
    "DATABASE_URL": "postgres://throughline@db:5432/throughline",
    "REDIS_URL": "redis://redis:6379/0",
}


def start(**env):
    """Run ``manage.py check`` in a fresh process with exactly these variables."""
    clean = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql-ish:/nowhere"),
        ("DATABASE_URL", "postgres://"),
        ("DEBUG", "maybe"),
        ("EMAIL_PORT", "twenty-five"),
        ("REDIS_URL", "localhost:6379"),
        ("HTTPS_ONLY", "perhaps"),
        ("LOGIN_FAILURE_LIMIT", "0"),
        ("LOGIN_LOCKOUT_MINUTES", "a quarter hour"),
        ("API_RATE_TOKEN", "fast"),
        ("API_RATE_USER", "0/min"),
        ("DATABASE_ROLE", "app; DROP TABLE"),
    ],
)
def test_malformed_variable_stops_start_up_naming_it(variable, value):
    result = start(**{variable: value})
    assert result.returncode != 0
    assert f"Environment variable {variable}=" in result.stderr


def test_https_only_requires_a_real_secret_key():
    result = start(HTTPS_ONLY="true")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_settings_pass_check_deploy():
    result = start(**PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_cookies_are_secure_httponly_and_same_site():
    names = [
        f"{cookie}_COOKIE_{flag}"
        for cookie in ("SESSION", "CSRF")
        for flag in ("SECURE", "HTTPONLY", "SAMESITE")
    ]
    script = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}))"
    )
    clean = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME")}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env={**clean, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    flags = json.loads(result.stdout.strip().splitlines()[-1])
    assert flags == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
    }


def test_embedded_defaults_start():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={key: value for key, value in os.environ.items() if key in ("PATH", "HOME")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_templates_print_ids_without_grouping():
    """Ids go into links and form values: 1359 must never come out as "1,359"."""
    from django.template import Context, Template

    assert Template("{{ pk }}").render(Context({"pk": 1359})) == "1359"
    assert Template('{{ amount|floatformat:"0g" }}').render(Context({"amount": 1359})) == "1,359"
