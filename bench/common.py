"""Shared helpers for the benchmarks: server process, tokens, percentiles."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Self

import httpx
import jwt

ROOT = Path(__file__).resolve().parent.parent
JWT_SECRET = "bench-jwt-secret-0123456789abcdef0123456789"
ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"
ADMIN_DSN = os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def db_dsn(name: str) -> str:
    return ADMIN_DSN.rsplit("/", 1)[0] + "/" + name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def user_token(claims: dict[str, Any], ttl: int = 3600) -> str:
    now = int(time.time())
    return jwt.encode({**claims, "iat": now, "exp": now + ttl}, JWT_SECRET, algorithm="HS256")


class Server:
    """`mtchat serve` in a subprocess (optionally under a raised `ulimit -n`)."""

    def __init__(self, database: str, *, redis_url: str | None = None, nofile: int | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": db_dsn(database).replace("postgresql://", "postgres://", 1),
                "JWT_SECRET": JWT_SECRET,
                "ADMIN_API_TOKEN": ADMIN_TOKEN,
                "RATE_LIMIT_PER_MINUTE": "0",  # MemoryRateLimiter / RedisRateLimiter: <= 0 means unlimited
                "ARCHIVE_AFTER_SECONDS": "0",  # generated data is old: keep the auto-archive task out
                "NOTIFICATION_DELAY_SECONDS": "3600",
                "LOG_LEVEL": "warning",
                "MTCHAT_LOG_LEVEL": "warning",
            }
        )
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        env.update(extra_env or {})
        exe = str(Path(sys.executable).with_name("mtchat"))
        cmd = f"exec {exe} serve --host 127.0.0.1 --port {self.port}"
        if nofile:
            cmd = f"ulimit -n {nofile} && {cmd}"
        self.log = open(f"/tmp/mtchat-bench-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(["bash", "-c", cmd], env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: see {self.log.name}")
            try:
                if httpx.get(self.base + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server not ready")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far (from /proc), its worker processes included."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat.parent.name == str(self.proc.pid) or fields[1] == str(self.proc.pid):
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def rss_kb(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def __enter__(self) -> Self:
        self.wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def summary(name: str, lat_ms: list[float], wall_s: float, errors: int = 0) -> dict[str, Any]:
    return {
        "name": name,
        "n": len(lat_ms),
        "errors": errors,
        "p50": round(pct(lat_ms, 50), 2),
        "p95": round(pct(lat_ms, 95), 2),
        "p99": round(pct(lat_ms, 99), 2),
        "rps": round(len(lat_ms) / wall_s, 1) if wall_s else 0.0,
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    """Markdown table; a `cpu_ms` column (server CPU per request) when the rows carry it."""
    cpu = any("cpu_ms" in r for r in rows)
    head = f"| {'path':<40} | {'n':>6} | {'err':>4} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} | {'req/s':>7} |"
    rule = f"|{'-' * 42}|{'-' * 8}:|{'-' * 5}:|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|"
    print(head + (f" {'server CPU ms/req':>17} |" if cpu else ""))
    print(rule + (f"{'-' * 18}:|" if cpu else ""))
    for r in rows:
        line = (
            f"| {r['name']:<40} | {r['n']:>6} | {r['errors']:>4} | {r['p50']:>7} | {r['p95']:>7} | {r['p99']:>7} "
            f"| {r['rps']:>7} |"
        )
        print(line + (f" {r.get('cpu_ms', ''):>17} |" if cpu else ""))


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
