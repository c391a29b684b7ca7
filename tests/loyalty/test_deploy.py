import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    environment = {**os.environ, **env}
    for name in ["DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"]:
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="suki.example.com",
        CACHE_URL="redis://127.0.0.1:6379/1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="false", SECRET_KEY="", ALLOWED_HOSTS="suki.example.com")
    assert result.returncode != 0


def test_production_static_files_get_hashed_and_compressed_names(tmp_path):
    script = (
        "import django, os; django.setup();"
        "from django.conf import settings; settings.STATIC_ROOT = os.environ['TARGET'];"
        "from django.core.management import call_command;"
        "call_command('collectstatic', '--noinput', verbosity=0);"
        "from django.contrib.staticfiles.storage import staticfiles_storage as s;"
        "print(s.url('css/suki.css'))"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "suki.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "suki.example.com",
        "TARGET": str(tmp_path),
    }
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    hashed = result.stdout.strip().rsplit("/", 1)[-1]
    assert hashed.startswith("suki.") and hashed != "suki.css"
    assert (tmp_path / "css" / hashed).exists()
    assert (tmp_path / "css" / f"{hashed}.gz").exists()
