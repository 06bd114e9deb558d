"""Run the benchmarks: ``python benchmarks/run.py [NAME ...]`` (``make bench [BENCH=NAME]``).

Each ``benchmarks/bench_NAME.py`` has a ``main() -> str`` that runs its measurements (side
by side with the peer library where there is one, in the same process and run) and returns
a Markdown results section; it is printed and written to ``benchmarks/results/NAME.md``.
Copy a section into ``benchmarks/README.md`` when the numbers are worth keeping.
"""

from __future__ import annotations

import importlib.util
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for `common`; PYTHONSAFEPATH keeps the script dir off the path


def _load(name: str):  # type: ignore[no-untyped-def]
    path = HERE / f"bench_{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"no benchmark {name!r} ({path} not found)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    header = (
        f"machine: {platform.machine()}, {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    print(header)
    for name in names:
        t0 = time.perf_counter()
        section = _load(name).main()
        took = time.perf_counter() - t0
        text = f"{section.rstrip()}\n\n_{header}; benchmark ran {took:.0f} s._\n"
        (out / f"{name}.md").write_text(text, encoding="utf-8")
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
