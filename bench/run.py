"""`make bench`: generate data, then the read-path and realtime benchmarks, in sequence.

Modest defaults so it ends in a few minutes; pass --full for the sizes in docs/benchmarks.md
(100k dialogs / 1M messages / 10k users, 1,000 requests per path, 1,000 sockets, 10,000 idle sockets).
Needs PostgreSQL (BENCH_ADMIN_DSN, default postgresql://postgres@127.0.0.1:5432/test) and Redis on
127.0.0.1:6379. Numbers are printed; copy them into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(args: list[str]) -> None:
    cmd = [sys.executable, *args]
    print("\n$ " + " ".join(cmd), flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"({time.perf_counter() - t:.0f}s)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--skip-generate", action="store_true", help="reuse the existing data set")
    a = ap.parse_args()
    if a.full:
        gen = ["--dialogs", "100000", "--messages", "1000000", "--users", "10000"]
        reads = ["--users", "10000", "--requests", "1000"]
        rt = ["--sockets", "1000", "--fanout", "1000", "--settle", "30", "--idle", "10000"]
        db = "mtchat_bench"
    else:
        gen = ["--dialogs", "10000", "--messages", "100000", "--users", "2000"]
        reads = ["--users", "2000", "--requests", "300"]
        rt = ["--seconds", "5", "--sockets", "200", "--rate", "40", "--fanout", "200", "--rounds", "20", "--settle", "3", "--idle", "1000"]
        db = "mtchat_bench_small"
    if not a.skip_generate:
        run([str(HERE / "generate.py"), "--db", db, *gen])
    run([str(HERE / "read_paths.py"), "--db", db, "--explain", *reads])
    run([str(HERE / "realtime.py"), "--db", "mtchat_rt", *rt])


if __name__ == "__main__":
    main()
