"""deploy/: what `docker compose -f deploy/docker-compose.yml config` would check, without Docker.

The compose file is interpolated the way Compose does it (with no deploy/.env, as on a clean checkout,
and with deploy/.env.example's values), validated against the Compose Specification JSON schema
(vendored in deploy/schema/), and its cross-references are checked: services named in depends_on,
named volumes, build context and Dockerfile, required env files, published ports. The MTChat
containers may only be given variables that `Settings` reads, so a typo cannot pass silently. The demo
service is wired to them (URLs, webhooks), and every file a Dockerfile copies exists and is in its
build context.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from mtchat.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
SCHEMA = DEPLOY / "schema" / "compose-spec.json"

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}, $VAR, $$
_VAR = re.compile(
    r"\$(?:\$|\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_]\w*))", re.ASCII
)


def read_env_file(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


class Interpolation:
    """Compose's variable substitution over every string of the loaded file."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.used: set[str] = set()
        self.unset_without_default: set[str] = set()

    def _sub(self, m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group("braced") or m.group("bare")
        op, arg = m.group("op"), m.group("arg") or ""
        self.used.add(name)
        value = self.env.get(name)
        if op in (":-", "-"):
            return arg if value is None or (op == ":-" and value == "") else value
        if op in (":?", "?"):
            if value is None or (op == ":?" and value == ""):
                raise AssertionError(f"required variable {name} is missing: {arg}")
            return value
        if op in (":+", "+"):
            return arg if value is not None and (op == "+" or value != "") else ""
        if value is None:
            self.unset_without_default.add(name)
            return ""
        return value

    def __call__(self, node: Any) -> Any:
        if isinstance(node, str):
            return _VAR.sub(self._sub, node)
        if isinstance(node, list):
            return [self(x) for x in node]
        if isinstance(node, dict):
            return {k: self(v) for k, v in node.items()}
        return node


def load(env: dict[str, str]) -> tuple[dict[str, Any], Interpolation]:
    raw = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # also resolves the `<<:` merges
    interpolate = Interpolation(env)
    return interpolate(raw), interpolate


def schema_errors(doc: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(doc)]


ENVS = {"no .env": {}, ".env from .env.example": read_env_file(DEPLOY / ".env.example")}


@pytest.mark.parametrize("env_name", list(ENVS))
def test_compose_file_is_valid(env_name: str) -> None:
    doc, interpolate = load(ENVS[env_name])
    assert schema_errors(doc) == []
    # Compose warns and substitutes "" for these; every variable needs a default or must be set.
    assert interpolate.unset_without_default == set()
    check_references(doc)


def check_references(doc: dict[str, Any]) -> None:
    services: dict[str, Any] = doc["services"]
    declared_volumes = set(doc.get("volumes") or {})
    published: list[str] = []
    for name, svc in services.items():
        for dep in svc.get("depends_on") or []:  # a list or a mapping of service names
            assert dep in services, f"{name}: depends_on unknown service {dep!r}"
        for vol in svc.get("volumes") or []:
            source = vol.split(":", 1)[0] if isinstance(vol, str) else vol.get("source", "")
            if source and not source.startswith((".", "/", "~", "$")):
                assert source in declared_volumes, f"{name}: volume {source!r} is not declared"
        if "build" in svc:
            build = svc["build"] if isinstance(svc["build"], dict) else {"context": svc["build"]}
            context = (DEPLOY / build["context"]).resolve()
            assert context.is_dir(), f"{name}: build context {context} missing"
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), f"{name}: Dockerfile missing"
        for entry in svc.get("env_file") or []:
            entry = {"path": entry} if isinstance(entry, str) else entry
            if entry.get("required", True) not in (False, "false"):
                assert (DEPLOY / entry["path"]).is_file(), f"{name}: required env_file {entry['path']} missing"
        published.extend(str(port).rsplit(":", 1)[0] for port in svc.get("ports") or [])
    assert len(published) == len(set(published)), f"a host port is published twice: {published}"


def mtchat_services(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        name: svc for name, svc in doc["services"].items()
        if isinstance(svc.get("build"), dict) and svc["build"].get("dockerfile") == "deploy/Dockerfile"
    }


def test_mtchat_containers_get_only_variables_mtchat_reads() -> None:
    known = {name.upper() for name in Settings.model_fields}
    doc, _ = load({})
    services = mtchat_services(doc)
    assert {"mtchat-1", "mtchat-2", "worker"} <= set(services)
    for name, svc in services.items():
        unknown = set(svc.get("environment") or {}) - known
        assert unknown == set(), f"{name}: MTChat does not read {sorted(unknown)}"


def test_env_example_names_only_what_is_read() -> None:
    known = {name.upper() for name in Settings.model_fields}
    _, interpolate = load({})
    example = read_env_file(DEPLOY / ".env.example")
    unknown = set(example) - known - interpolate.used
    assert unknown == set(), f".env.example sets variables nobody reads: {sorted(unknown)}"
    # What production refuses to start without is in the example (SPEC §3).
    assert {"JWT_SECRET", "ADMIN_JWT_SECRET", "WEBHOOK_SECRET"} <= set(example)


def test_demo_service_is_wired_to_mtchat() -> None:
    for env in ENVS.values():
        doc, _ = load(env)
        services = doc["services"]
        demo = services["demo"]
        assert demo["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile.demo"}
        assert "8090:8090" in demo["ports"]
        assert {name: dep["condition"] for name, dep in demo["depends_on"].items()} == {
            "mtchat-1": "service_healthy",
            "mtchat-2": "service_healthy",
        }
        # Server side on the compose network, browser side through replica 1's published port.
        assert demo["environment"]["MTCHAT_URL"] == "http://mtchat-1:8080"
        assert demo["environment"]["MTCHAT_PUBLIC_URL"] == "http://localhost:8081"
        assert "8081:8080" in services["mtchat-1"]["ports"]
        # Its secrets come from the same .env as MTChat's.
        assert demo["env_file"] == services["mtchat-1"]["env_file"]
        for name, svc in mtchat_services(doc).items():
            assert svc["environment"]["WEBHOOK_URL"] == "http://demo:8090/webhooks/mtchat", name
    origins = read_env_file(DEPLOY / ".env.example")["CORS_ALLOWED_ORIGINS"].split(",")
    assert "http://localhost:8090" in origins  # the demo's browser app calls MTChat directly


DOCKERFILES = ["Dockerfile", "Dockerfile.demo"]


def dockerignored(path: str, patterns: list[str]) -> bool:
    """BuildKit's rule, closely enough for our ignore files: the last pattern matching the path or one of
    its parents decides; `!` re-includes (fnmatch's `*` also crosses `/`, which only ever ignores more)."""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").strip("/")
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            ignored = not negated
    return ignored


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_dockerfile_copies_what_exists(dockerfile: str) -> None:
    ignore = DEPLOY / f"{dockerfile}.dockerignore"
    patterns = [
        line.strip() for line in ignore.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = 0
    for line in (DEPLOY / dockerfile).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts[:1] == ["COPY"] and not any(p.startswith("--from") for p in parts):
            for source in parts[1:-1]:
                assert (ROOT / source).exists(), f"{dockerfile} copies {source}, which is not in the repository"
                assert not dockerignored(source, patterns), f"{ignore.name} keeps {source} out of the build context"
                copied += 1
    assert copied


def test_dockerignore_check_is_not_vacuous() -> None:
    patterns = ["*", "!mtchat-vue", "mtchat-vue/node_modules", "mtchat-server/**/__pycache__"]
    assert not dockerignored("mtchat-vue/package.json", patterns)
    assert dockerignored("mtchat-vue/node_modules/vue/index.js", patterns)
    assert dockerignored("mtchat-example/host/", patterns)
    assert dockerignored("mtchat-server/src/mtchat/__pycache__/x.pyc", ["mtchat-server/**/__pycache__"])


def test_schema_check_is_not_vacuous() -> None:
    doc, _ = load({})
    broken = copy.deepcopy(doc)
    broken["services"]["mtchat-1"]["enviroment"] = {"X": "1"}  # a typo Compose rejects
    broken["services"]["redis"]["depends_on"] = {"postgres": {"condition": "service_ready"}}
    errors = schema_errors(broken)
    assert any("enviroment" in e for e in errors), errors
    assert any("depends_on" in e for e in errors), errors
