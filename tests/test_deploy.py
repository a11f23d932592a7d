"""docker-compose.yml and docdesk.env.example say what the tests run: PostgreSQL + Redis + a shared blob volume,
settings that exist, health checks, named volumes, secrets only in the environment file. (No Docker engine runs
here: this reads the files; the README says how the file was checked against the Compose schema.)"""

from __future__ import annotations

from pathlib import Path

import yaml

from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
EXAMPLE_ENV = dict(line.split("=", 1) for line in (ROOT / "docdesk.env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
SERVICES = COMPOSE["services"]


def docdesk_settings(environment: dict[str, str]) -> set[str]:
    return {name.removeprefix("DOCDESK_").lower() for name in environment if name.startswith("DOCDESK_")}


def test_the_app_workers_postgresql_and_redis_with_health_checks_and_named_volumes():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "app", "worker"}
    assert all("healthcheck" in SERVICES[name] for name in ("postgres", "redis", "app", "worker"))
    assert "ports" not in SERVICES["worker"] and "container_name" not in SERVICES["worker"]  # --scale worker=N
    for name in ("app", "worker"):
        assert SERVICES[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert set(COMPOSE["volumes"]) == {"pgdata", "redisdata", "blobs"}
    mounted = {volume.split(":")[0] for service in SERVICES.values() for volume in service.get("volumes", [])}
    assert mounted == set(COMPOSE["volumes"])


def test_docdesk_containers_share_database_queue_and_blobs_with_settings_that_exist():
    for name in ("migrate", "app", "worker"):
        service = SERVICES[name]
        environment = {**EXAMPLE_ENV, **service["environment"]}
        assert docdesk_settings(environment) <= set(Settings.model_fields)
        settings = Settings(**{key: environment[f"DOCDESK_{key.upper()}"] for key in docdesk_settings(environment)})
        url = settings.sqlalchemy_url
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
        assert settings.queue_url == "redis://redis:6379/0"
        assert f"blobs:{settings.blob_dir}" in service["volumes"]
        assert service["env_file"] == ["docdesk.env"]


def test_secrets_live_in_the_environment_file_only():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "PASSWORD" not in text.replace("POSTGRES_PASSWORD, ", "")  # named in a comment, never given a value
    assert EXAMPLE_ENV["POSTGRES_PASSWORD"] == "CHANGE-ME" and ":CHANGE-ME@" in EXAMPLE_ENV["DOCDESK_DATABASE_URL"]
    for ignored in (".gitignore", ".dockerignore"):
        assert "docdesk.env" in (ROOT / ignored).read_text().splitlines()


def test_the_first_admin_password_is_printed_once_by_the_migrate_service():
    command = " ".join(SERVICES["migrate"]["command"])
    assert "cli.py db upgrade" in command and "cli.py users ensure-admin" in command
    assert SERVICES["migrate"]["restart"] == "no"
