# mlops-jupyter: the README's commands.
#   make demo   create the environment if needed, run the end-to-end demo
#   make test   create the environment if needed, build, lint, run every test
#   make lint   ruff + the committed OpenAPI document matches the models + eslint + prettier
#               (jlpm eslint / jlpm prettier fix what they can; python -m
#               mlops_jupyter.server.openapi --write labextension/openapi.json regenerates)
#   make bench  print the benchmarks' peer-vs-us figures
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
# jlpm with the venv first on PATH: package.json scripts call jlpm again.
JLPM := PATH="$(abspath $(VENV))/bin:$$PATH" $(abspath $(VENV))/bin/jlpm

.PHONY: demo test bench env debian-tools lint clean

env: $(INSTALLED)

$(PY):
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: it installs the local CPU wheel instead of pulling CUDA builds.
	$(PY) -m pip install --quiet torch==2.13.0

$(INSTALLED): $(PY) pyproject.toml package.json yarn.lock
	$(PY) -m pip install --quiet -e ".[torch,dask,test,dev]"
	touch $(INSTALLED)

# Debian tools the tests and benchmarks run for real: Chromium (sidebar tests), Prometheus
# (scrapes a serving endpoint), wrk (the serving benchmark's load generator).
debian-tools:
	@missing=""; for tool in chromium prometheus wrk; do \
	    command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	[ -z "$$missing" ] || { [[ "$$missing" == *chromium* ]] && missing="$$missing chromium-driver"; \
	    $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $$missing; }

demo: $(INSTALLED)
	$(VENV)/bin/mlops demo --notebooks example_notebooks

test: $(INSTALLED) debian-tools lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(INSTALLED) debian-tools
	for bench in benchmarks/bench_*.py; do echo "== $$bench"; $(PY) $$bench || exit 1; done

lint: $(INSTALLED)
	$(VENV)/bin/ruff check mlops_jupyter tests benchmarks
	$(PY) -m mlops_jupyter.server.openapi --check labextension/openapi.json
	@[ -d node_modules ] || $(JLPM) install
	$(JLPM) build:api
	$(JLPM) eslint:check
	$(JLPM) prettier:check

clean:
	rm -rf $(VENV) node_modules labextension/lib mlops_jupyter/labextension \
	    mlops_jupyter/_version.py tsconfig.tsbuildinfo test-artifacts
