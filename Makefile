# Every target installs what it needs: a fresh machine runs `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SDK_VENV := .venv-sdk
JOB ?= gold_team_season
SEASON ?= 2024
SIZE ?= demo
ARGS ?=

.PHONY: help install demo test test-fast job local-job jobs tables sdk-venv wheel fmt-check clean clean-lake

help:
	@echo "make demo        simulated season -> local CBBD server -> bronze -> silver -> gold, printed"
	@echo "make test        install everything and run the test suite"
	@echo "make job JOB=..  run one registered job on local PySpark (SEASON=, ARGS=)"
	@echo "make local-job   the same job inside the Glue 5 image (needs a Docker engine)"
	@echo "make jobs        list the job registry"

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e ".[local,test]"
	touch $(STAMP)

install: $(STAMP)

# The official SDK pins pydantic<2, so its models live in their own environment.
$(SDK_VENV)/.installed:
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install --quiet "cbbd==1.30.1"
	touch $@

sdk-venv: $(SDK_VENV)/.installed

demo: $(STAMP)
	$(PY) -m cbbd_etl demo --size $(SIZE) --season $(SEASON) $(ARGS)

test: $(STAMP) $(SDK_VENV)/.installed
	CBBD_SDK_PYTHON=$(abspath $(SDK_VENV))/bin/python $(PY) -m pytest $(ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow" $(ARGS)

job: $(STAMP)
	$(PY) -m cbbd_etl run $(JOB) --season $(SEASON) $(ARGS)

jobs: $(STAMP)
	$(PY) -m cbbd_etl jobs

tables: $(STAMP)
	$(PY) -m cbbd_etl tables

# Runs the same job inside public.ecr.aws/glue/aws-glue-libs:5 (see docker-compose.yml).
local-job: $(STAMP)
	@$(PY) -m cbbd_etl jobs --check $(JOB) >/dev/null
	@if ! docker info >/dev/null 2>&1; then \
		echo "make local-job: no Docker engine is reachable (docker info failed); run 'make job JOB=$(JOB)' for local PySpark instead." >&2; \
		exit 2; \
	fi
	JOB=$(JOB) SEASON=$(SEASON) docker compose run --rm glue

wheel: $(STAMP)
	$(PY) -m pip wheel --no-deps --quiet -w dist .

fmt-check:
	terraform fmt -check -recursive terraform

clean-lake:
	rm -rf .lake

clean: clean-lake
	rm -rf $(VENV) $(SDK_VENV) build dist lib/*.egg-info
