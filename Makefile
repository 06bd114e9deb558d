# xuewei — every target bootstraps .venv itself, so a fresh clone needs nothing else.
#   make demo    run the embedded Changsha plan, write out/changsha/
#   make test    ruff, mypy and the whole pytest suite (notebooks and doctests included)
#   make bench   the benchmarks of benchmarks/, results in benchmarks/README.md

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Never let the source folder `xuewei/` shadow the installed package (which also holds
# the subpackages mapped from gis/, forecast/, ...).
export PYTHONSAFEPATH := 1
# The install is strict-editable (a link tree that mypy can follow through the package-dir
# mapping); it must be redone when a module is added, so the stamp depends on the sources.
SOURCES := $(shell find xuewei gis forecast planning maps data -name '*.py' -o -name '*.toml' 2>/dev/null)
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench browser clean

install: $(STAMP)

$(STAMP): pyproject.toml $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=strict
	touch $(STAMP)

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]' --config-settings editable_mode=strict
	touch $(BENCH_STAMP)

# Map tests load the pages in a real headless Chromium, from Debian's packages.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Chromium (Debian package) for the map tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

demo: $(STAMP)
	$(BIN)/xuewei demo --out out/changsha --overwrite

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check xuewei gis forecast planning maps data tests benchmarks

# mypy runs outside the source tree so that it checks the installed package (with the
# subpackages mapped from gis/, forecast/, ...) rather than the bare xuewei/ folder.
typecheck: $(STAMP)
	cd $(VENV) && bin/mypy -p xuewei --config-file ../pyproject.toml

# On every core (pytest-xdist; idle workers take queued tests from busy ones).
test: lint typecheck browser
	$(BIN)/pytest tests --doctest-modules --pyargs xuewei -n auto --dist worksteal

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH)

clean:
	rm -rf $(VENV) build *.egg-info out .pytest_cache .mypy_cache .ruff_cache
