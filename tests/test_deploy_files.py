"""The deployment files (Dockerfile, docker-compose.yml) keep the shape docs/deploy.md describes.

These are static checks: no image is built and no container is started. The one test that asks
Docker itself (`docker compose config -q`) skips where the compose plugin is not installed. That
skip is expected in CI: the CI machine has the docker CLI without the compose plugin and the
plugin cannot be installed there, so the structural checks below are what guards the files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

SERVICES = {"api", "sync", "migrate", "postgres", "meilisearch"}
ONE_SHOT = {"migrate"}
SECRETS = {
    "POSTGRES_PASSWORD",
    "MEILI_MASTER_KEY",
    "MEILI_SEARCH_KEY",
    "MEILI_ADMIN_KEY",
    "MOC_SECRET_KEY",
}
# Environment variables whose value is a secret, or embeds one.
SECRET_SETTINGS = {
    "POSTGRES_PASSWORD",
    "MEILI_MASTER_KEY",
    "MOC_MEILI_KEY",
    "MOC_SECRET_KEY",
    "MOC_DATABASE_URL",
}
REQUIRED_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+):\?[^}]+\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def test_the_five_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == SERVICES


@pytest.mark.parametrize(
    ("service", "repository", "full_tag"),
    [
        # PostgreSQL versions are MAJOR.MINOR; the Alpine release is pinned as well.
        ("postgres", "postgres", r"\d+\.\d+-alpine\d+\.\d+"),
        ("meilisearch", "getmeili/meilisearch", r"v\d+\.\d+\.\d+"),
    ],
)
def test_third_party_images_are_pinned_to_a_full_version(
    services: dict[str, dict[str, Any]], service: str, repository: str, full_tag: str
) -> None:
    name, _, tag = services[service]["image"].partition(":")
    assert name == repository
    assert "latest" not in tag
    assert tag.count(".") >= 2, f"{service}: {tag!r} is not pinned to a full version"
    assert re.fullmatch(full_tag, tag), f"{service}: {tag!r} is not a full version"


def test_app_services_share_one_pinned_image(services: dict[str, dict[str, Any]]) -> None:
    images = {services[s]["image"] for s in ("api", "sync", "migrate")}
    assert len(images) == 1
    (image,) = images
    _, _, tag = image.partition(":")
    assert tag
    assert tag != "latest"


def test_meilisearch_matches_the_documented_production_setup(
    services: dict[str, dict[str, Any]],
) -> None:
    meili = services["meilisearch"]
    assert meili["image"] == "getmeili/meilisearch:v1.50.0"
    env = meili["environment"]
    assert env["MEILI_ENV"] == "production"
    assert env["MEILI_NO_ANALYTICS"] == "true"
    assert any(v.endswith(":/meili_data") for v in meili["volumes"])
    assert meili["healthcheck"]["test"][:2] == ["CMD", "curl"]


def test_every_long_running_service_has_a_healthcheck(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        if name in ONE_SHOT:
            continue
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable"), f"{name} disables its healthcheck"
        assert check["test"][0] in {"CMD", "CMD-SHELL"}


def test_postgres_is_checked_with_pg_isready(services: dict[str, dict[str, Any]]) -> None:
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]


def test_start_order(services: dict[str, dict[str, Any]]) -> None:
    assert services["migrate"]["command"] == ["moc-catalog", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "sync"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["meilisearch"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_exactly_one_sync_worker(services: dict[str, dict[str, Any]]) -> None:
    sync = services["sync"]
    assert sync["command"] == ["moc-catalog", "sync"]
    assert sync.get("deploy", {}).get("replicas", 1) == 1
    assert "scale" not in sync


def test_api_runs_several_processes(services: dict[str, dict[str, Any]]) -> None:
    api = services["api"]
    command = " ".join(api["command"])
    workers = re.search(r"--workers[ =](\d+)", command)
    processes = int(workers.group(1)) if workers else 1
    assert processes * api.get("deploy", {}).get("replicas", 1) > 1


def test_app_services_use_meilisearch_and_postgres(services: dict[str, dict[str, Any]]) -> None:
    for name in ("api", "sync"):
        env = services[name]["environment"]
        assert env["MOC_SEARCH_ENGINE"] == "meilisearch"
        assert env["MOC_MEILI_URL"] == "http://meilisearch:7700"
        assert env["MOC_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in env["MOC_DATABASE_URL"]
    assert services["migrate"]["environment"]["MOC_DATABASE_URL"].startswith("postgresql://")


def test_api_and_sync_get_different_meilisearch_keys(services: dict[str, dict[str, Any]]) -> None:
    api_key = REQUIRED_VAR.fullmatch(services["api"]["environment"]["MOC_MEILI_KEY"])
    sync_key = REQUIRED_VAR.fullmatch(services["sync"]["environment"]["MOC_MEILI_KEY"])
    assert api_key
    assert sync_key
    assert api_key["name"] == "MEILI_SEARCH_KEY"
    assert sync_key["name"] == "MEILI_ADMIN_KEY"


def test_api_trusts_the_proxies_the_operator_names(services: dict[str, dict[str, Any]]) -> None:
    """Behind the load balancer every client would share its rate-limit bucket and provider
    cookies would lose Secure: the balancer must be named, so the variable is required."""
    api = services["api"]
    trusted = REQUIRED_VAR.fullmatch(str(api["environment"].get("MOC_TRUSTED_PROXIES", "")))
    assert trusted, "api.MOC_TRUSTED_PROXIES is not taken from a ${VAR:?message} variable"
    assert trusted["name"] == "MOC_TRUSTED_PROXIES"
    # `serve` turns uvicorn's own proxy handling off (it trusts 127.0.0.1 whatever the
    # setting says); a bare `uvicorn` command line would keep it on.
    assert api["command"][:2] == ["moc-catalog", "serve"]
    deploy = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "`MOC_TRUSTED_PROXIES`" in deploy
    assert "uvicorn api.app" not in deploy


def test_secrets_come_from_required_variables(services: dict[str, dict[str, Any]]) -> None:
    seen: set[str] = set()
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if key not in SECRET_SETTINGS:
                continue
            names = [m["name"] for m in REQUIRED_VAR.finditer(str(value))]
            assert names, f"{name}.{key} is not taken from a ${{VAR:?message}} variable"
            assert set(names) <= SECRETS
            seen.update(names)
    assert seen == SECRETS


def test_no_secret_has_a_default_or_a_literal_value() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    for name in SECRETS:
        assert not re.search(rf"\$\{{{name}:?-", text), f"{name} has a default value"
        assert not re.search(rf"^\s*{name}:\s*[^$\s]", text, re.M), f"{name} is written in"


def test_named_volumes_for_state(compose: dict[str, Any], services: dict[str, Any]) -> None:
    volumes = set(compose["volumes"])
    assert volumes == {"pg_data", "meili_data"}
    for service in ("postgres", "meilisearch"):
        mounts = services[service]["volumes"]
        assert all(m.split(":", 1)[0] in volumes for m in mounts), service
    # The app keeps no state: the sync lock is an advisory lock in PostgreSQL.
    for service in ("api", "sync", "migrate"):
        assert "volumes" not in services[service], service


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = (line.strip() for line in text.splitlines())
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.partition(" ") for line in lines if line)
        if not word.startswith("#")
    ]


def test_dockerfile_base_is_pinned_slim_python() -> None:
    bases = [rest.split()[0] for word, rest in dockerfile_instructions() if word == "FROM"]
    assert bases
    for base in bases:
        name, _, tag = base.partition(":")
        assert name == "python"
        assert "latest" not in tag
        assert re.match(r"^3\.11\.\d+-slim", tag), tag


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [rest for word, rest in dockerfile_instructions() if word == "USER"]
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_installs_without_dev_extras_and_serves() -> None:
    instructions = dockerfile_instructions()
    runs = " ".join(rest for word, rest in instructions if word == "RUN")
    assert "pip install ." in runs
    assert "[dev]" not in runs
    healthcheck = next(rest for word, rest in instructions if word == "HEALTHCHECK")
    assert "/healthz" in healthcheck
    assert "urllib" in healthcheck
    assert ("EXPOSE", "8000") in instructions
    assert any(w == "ENV" and "MOC_DATA_DIR=/data" in r for w, r in instructions)
    assert any(w == "VOLUME" and "/data" in r for w, r in instructions)
    cmd = next(rest for word, rest in reversed(instructions) if word == "CMD")
    assert cmd == '["moc-catalog", "serve", "--host", "0.0.0.0", "--port", "8000"]'


def _compose_command() -> list[str] | None:
    """`docker compose` (the v2 plugin) where it exists, else Debian's `docker-compose`."""
    if shutil.which("docker") is not None:
        try:
            done = subprocess.run(
                ["docker", "compose", "version"], capture_output=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            done = None
        if done is not None and done.returncode == 0:
            return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


COMPOSE_COMMAND = _compose_command()


@pytest.mark.skipif(
    COMPOSE_COMMAND is None and os.environ.get("CI", "").lower() != "true",
    reason="neither docker compose nor docker-compose is installed (.ci/run installs the latter)",
)
def test_docker_compose_accepts_the_file() -> None:
    """`compose config -q` with dummy secrets: validates the file without a Docker engine."""
    assert COMPOSE_COMMAND is not None, "CI must have docker-compose (.ci/run installs it)"
    env = dict(os.environ) | dict.fromkeys(SECRETS, "dummy-value-0123456789")
    env["MOC_TRUSTED_PROXIES"] = '["10.0.0.0/8"]'
    done = subprocess.run(
        [*COMPOSE_COMMAND, "-f", str(COMPOSE), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
