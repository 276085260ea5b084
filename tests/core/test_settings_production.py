"""Production settings are safe: `check --deploy` is clean with a production environment, and
the process refuses to start without its secrets.

Each test runs manage.py in a fresh process with DEBUG=false and ATHENA_TESTING unset,
pointed (DATABASE_URL) at the database this test session uses.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import environ
import pytest
from cryptography.fernet import Fernet
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

# Variables of the caller's environment that would change what is being checked.
_SCRUBBED = (
    "ATHENA_TESTING",
    "DEBUG",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "FIELD_HASH_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by conftest for the browser tests; never in production
)


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for django-environ that names the same database as `settings_dict`.

    A Unix-socket directory (the embedded server's HOST) goes URL-encoded in the *path*:
    `postgres://user@/%2Fpath%2Fto%2Fsocket/dbname`. django-environ 0.14 does not decode a
    host written as `%2F...` in the authority part, so that form would not reach the socket.
    """
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = settings_dict.get("HOST") or ""
    port = str(settings_dict.get("PORT") or "")
    name = quote(settings_dict["NAME"], safe="")
    if host.startswith("/"):
        url = f"postgres://{credentials}@/{quote(host, safe='')}/{name}"
        return f"{url}?port={port}" if port else url
    netloc_host = f"[{host}]" if ":" in host else host
    return f"postgres://{credentials}@{netloc_host}{':' + port if port else ''}/{name}"


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "athena.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),  # 86 random characters
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "pay.athena.example",
            "DATABASE_URL": database_url(connection.settings_dict),
        }
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.django_db
def test_database_url_names_the_test_database():
    config = environ.Env.db_url_config(database_url(connection.settings_dict))
    ours = connection.settings_dict
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == ours["NAME"]
    assert config["USER"] == ours["USER"]
    assert config["HOST"] == ours["HOST"]
    if ours.get("PORT"):
        port = config.get("PORT") or config.get("OPTIONS", {}).get("port")
        assert str(port) == str(ours["PORT"])


@pytest.mark.parametrize(
    ("settings_dict", "expected"),
    [
        (
            {"USER": "postgres", "HOST": "/tmp/pg sock", "PORT": "", "NAME": "athena"},
            {"USER": "postgres", "HOST": "/tmp/pg sock", "NAME": "athena"},
        ),
        (
            {"USER": "app", "PASSWORD": "p@ss:/w", "HOST": "db", "PORT": 5433, "NAME": "x"},
            {"USER": "app", "PASSWORD": "p@ss:/w", "HOST": "db", "PORT": 5433, "NAME": "x"},
        ),
    ],
)
def test_database_url_round_trips(settings_dict, expected):
    config = environ.Env.db_url_config(database_url(settings_dict))
    assert {key: config[key] for key in expected} == expected


@pytest.mark.django_db
def test_check_deploy_is_clean_with_a_production_environment():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        "--database",
        "default",
        env=production_env(),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output and "ERRORS" not in output


@pytest.mark.django_db
def test_production_settings_are_what_check_deploy_saw():
    script = (
        "from django.conf import settings as s\n"
        "print(s.DEBUG, s.TESTING, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.ALLOWED_HOSTS)\n"
    )
    result = manage("shell", "-c", script, env=production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "False False True True True 31536000 ['pay.athena.example']"
    )


def test_refuses_to_start_without_a_secret_key():
    result = manage("check", env=production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_refuses_to_start_on_the_development_secret_key():
    from django.conf import settings

    result = manage("check", env=production_env(SECRET_KEY=settings.DEV_SECRET_KEY))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_refuses_to_start_without_a_field_encryption_key():
    result = manage("check", env=production_env(FIELD_ENCRYPTION_KEY=None))
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY" in result.stderr


def test_a_weak_secret_key_fails_check_deploy():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(SECRET_KEY="short-and-guessable"),
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout
