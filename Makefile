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

.PHONY: help install nginx jvm-archive demo bench test test-fast coverage job local-job jobs tables sql sdk-venv wheel fmt-check clean clean-lake

help:
	@echo "make demo        simulated season -> local CBBD server -> bronze -> silver -> gold, printed"
	@echo "make test        install everything and run the test suite with coverage of lib/"
	@echo "make test-fast   the suite without slow tests (ARGS=\"-m unit\" for pure-Python tests only)"
	@echo "make coverage    the suite with missing lines per file and htmlcov/"
	@echo "make job JOB=..  run one registered job on local PySpark (SEASON=, ARGS=)"
	@echo "make local-job   the same job inside the Glue 5 image (needs a Docker engine)"
	@echo "make jobs        list the job registry"
	@echo "make bench       timings beside DuckDB -> bench/results.{json,md} (BENCH_ARGS=\"--size tiny --incremental-size tiny\")"
	@echo "make jvm-archive the class-data archive local Spark sessions start from (bench and job build it)"

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

# nginx (Debian nginx-light: it has gzip_static) for tests/test_nginx_ingest.py. Installed where apt exists
# and we are root; `apt-get update` only when apt does not know the package (or its cached .deb is gone).
# Elsewhere nothing happens and those tests skip, saying why.
NGINX_APT = DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] && [ "$$(id -u)" = 0 ] \
		&& command -v apt-get >/dev/null 2>&1; then \
		{ apt-cache show nginx-light >/dev/null 2>&1 && $(NGINX_APT); } \
		|| { apt-get update -qq >/dev/null 2>&1 && $(NGINX_APT); } \
		|| echo "make nginx: could not install nginx-light; the nginx tests will skip" >&2; \
	fi

# A HotSpot class-data archive of Spark's and Iceberg's classes for local sessions (cbbd_etl.jvm_archive): built
# once per JDK, jar set and JVM flags (~25 s); a session then starts in 1.8 s instead of 3.4 s. Sessions without
# one start as before; the test session never uses one.
jvm-archive: $(STAMP)
	@$(PY) -m cbbd_etl.jvm_archive_build

demo: $(STAMP)
	$(PY) -m cbbd_etl demo --size $(SIZE) --season $(SEASON) $(ARGS)

# Minutes of work, not a test: the full season, an incremental day, DuckDB on the same files, a no-op job.
# Don't run the default `full` size while others use the machine; smoke run: BENCH_ARGS="--size tiny --incremental-size tiny".
BENCH_ARGS ?=
bench: $(STAMP) jvm-archive
	@$(PY) -c "import duckdb" 2>/dev/null || $(PY) -m pip install --quiet -e ".[bench]"
	$(PY) bench/bench.py $(BENCH_ARGS)

# The whole suite with line coverage of the library (cbbd_etl, including jobs/ and the Python that
# Spark jobs run in the driver), the simulator left untraced (tests/coverage_make_test.cfg says why);
# no threshold yet. Ends with one "coverage total" line.
COV := --cov=cbbd_etl --cov-config=tests/coverage_make_test.cfg --cov-report=term
COV_TOTAL = echo "coverage total (lib/cbbd_etl + jobs/, lines$(COV_SCOPE)): $$($(PY) -m coverage report --format=total)%"

test: COV_SCOPE = , simulator untraced
test: $(STAMP) $(SDK_VENV)/.installed nginx
	@CBBD_SDK_PYTHON=$(abspath $(SDK_VENV))/bin/python $(PY) -m pytest $(COV) $(ARGS); rc=$$?; \
		$(COV_TOTAL); exit $$rc

# The quick loop: everything but @pytest.mark.slow, no coverage. `make test-fast ARGS="-m unit"` for pure-Python only.
test-fast: $(STAMP) nginx
	$(PY) -m pytest -m "not slow" $(ARGS)

# Coverage with the missing lines per file and an HTML report in htmlcov/.
coverage: $(STAMP) $(SDK_VENV)/.installed nginx
	@CBBD_SDK_PYTHON=$(abspath $(SDK_VENV))/bin/python $(PY) -m pytest --cov=cbbd_etl \
		--cov-report=term-missing:skip-covered --cov-report=html $(ARGS); rc=$$?; \
		$(COV_TOTAL); exit $$rc

job: $(STAMP) jvm-archive
	$(PY) -m cbbd_etl run $(JOB) $$($(PY) -m cbbd_etl jobs --check $(JOB) --takes season && echo --season $(SEASON)) $(ARGS)

jobs: $(STAMP)
	$(PY) -m cbbd_etl jobs

tables: $(STAMP)
	$(PY) -m cbbd_etl tables

# Ask the local lake a question; the analyst views (resources/views) are there by name.
Q ?= SELECT * FROM data_freshness
sql: $(STAMP)
	$(PY) -m cbbd_etl sql "$(Q)" $(ARGS)

# Runs the same job inside public.ecr.aws/glue/aws-glue-libs:5 (see docker-compose.yml).
local-job: $(STAMP) jvm-archive
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
