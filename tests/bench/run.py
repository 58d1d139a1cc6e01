"""`make bench`: runs every benchmark module in tests/bench and prints one JSON line per figure.

Each module named bench_*.py has `run() -> Iterator[dict]`. Only some run when named as arguments
(`python -m tests.bench.run bench_tracking_load`) or in BENCH_MODULES (comma-separated, for `make bench`:
`BENCH_MODULES=bench_tracking_load make bench`). The benchmarks run in a fresh
database created (and dropped) the way the test runner does it, on the machine's PostgreSQL.
"""

import importlib
import json
import os
import pkgutil
import sys

import django


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    import tests.bench
    from campaigns.overlapped_statements import close_asynchronous_connection

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    selected = set(sys.argv[1:]) | {
        name.strip() for name in os.environ.get("BENCH_MODULES", "").split(",") if name.strip()
    }
    try:
        for module_info in pkgutil.iter_modules(tests.bench.__path__):
            if not module_info.name.startswith("bench_"):
                continue
            if selected and module_info.name not in selected:
                continue
            module = importlib.import_module(f"tests.bench.{module_info.name}")
            for figure in module.run():
                print(json.dumps({"benchmark": module_info.name, **figure}, ensure_ascii=False), flush=True)
    finally:
        close_asynchronous_connection()  # the send path's second connection, or the database cannot be dropped
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
