# District Command Center. The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

# The real services of this machine, for make test (each test run uses its own Redis db).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dcc
TEST_REDIS_URL ?= redis://127.0.0.1:6379/3
TEST_MQTT_URL ?= mqtt://127.0.0.1:1883

.PHONY: run test install static messages lint typecheck migrations-check services browser bench-tools pytest pytest-standalone api-contract lock clean district-env

## make run: set up everything, seed the demo street when empty, start the platform with simulated sensors.
run: install static
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --if-empty
	$(MANAGE) seed_patrols
	$(MANAGE) runcenter --simulate

## make test: set up everything the tests need, then lint, type check, migrations check and the whole suite,
## on the real services (district profile) and again on the standalone profile (SQLite, inline tasks).
test: install static services browser
	$(MAKE) --no-print-directory lint typecheck migrations-check
	@# The two profiles at once, one on each core: they share no database, cache or broker.
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest pytest-standalone

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 or python3 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

# Front-end libraries from the npm registry, served as static files (no CDN at run time).
static: static/vendor/.built

static/vendor/.built: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor/echarts static/vendor/markercluster
	cp node_modules/echarts/dist/echarts.min.js static/vendor/echarts/
	cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
	   node_modules/leaflet.markercluster/dist/leaflet.markercluster.js.map \
	   node_modules/leaflet.markercluster/dist/MarkerCluster.css \
	   node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css static/vendor/markercluster/
	# The phones' page (/m/): Workbox's runtime for its service worker, Dexie (IndexedDB), compressorjs.
	mkdir -p static/vendor/workbox static/vendor/dexie static/vendor/compressorjs
	cp node_modules/workbox-sw/build/workbox-sw.js* node_modules/workbox-*/build/workbox-*.prod.js* static/vendor/workbox/
	cp node_modules/dexie/dist/dexie.min.js node_modules/dexie/dist/dexie.min.js.map static/vendor/dexie/
	cp node_modules/compressorjs/dist/compressor.min.js static/vendor/compressorjs/
	touch $@

# Translations are compiled and committed (locale/*/LC_MESSAGES/django.mo); this rebuilds them.
messages: install
	$(MANAGE) makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=staticfiles
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy .

migrations-check: install
	$(MANAGE) makemigrations --check --dry-run

# Start the machine's PostgreSQL, Redis and Mosquitto when one has stopped.
services:
	@bash .ci/services

# Headless Chromium and a CJK font for the browser tests and screenshots (Debian packages).
browser:
	@command -v chromium >/dev/null && fc-list | grep -qi "wenquanyi\|noto sans cjk" || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "install chromium and fonts-wqy-microhei (apt-get) for the browser tests"; exit 1; fi; }

# What the benchmarks drive the servers with (bench/README.md): wrk, the HTTP load generator (Debian).
bench-tools: install
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "install wrk (apt-get) for bench/cases_api.py"; exit 1; fi; }

pytest: install
	STATIC_MANIFEST=0 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) MQTT_URL=$(TEST_MQTT_URL) \
	SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	$(BIN)/pytest $(PYTEST_ARGS)

# The standalone profile: no DATABASE_URL, REDIS_URL or MQTT_URL. Tests marked `district("why")` skip here.
pytest-standalone: install
	dir=$$(mktemp -d /tmp/dcc-standalone.XXXXXX) && \
	env -u DATABASE_URL -u REDIS_URL -u MQTT_URL -u SECRET_KEY DCC_VAR_DIR=$$dir STATIC_MANIFEST=0 \
	$(BIN)/pytest $(PYTEST_ARGS); status=$$?; rm -rf $$dir; exit $$status

## make api-contract: the API's contract alone (also part of make test): the role × operation matrix and
## Schemathesis as every role (SCHEMATHESIS_EXAMPLES=50 SCHEMATHESIS_SEED=7 for a longer hunt).
api-contract: install
	$(MAKE) --no-print-directory pytest \
	  PYTEST_ARGS="-q tests/command_center/test_api_roles.py tests/command_center/test_api_schemathesis.py"

# Regenerate requirements.lock from the ranges in pyproject.toml.
lock:
	rm -rf /tmp/dcc-lock && $(PYTHON) -m venv /tmp/dcc-lock
	/tmp/dcc-lock/bin/pip install --quiet --upgrade pip
	/tmp/dcc-lock/bin/pip install --quiet ".[dev]"
	/tmp/dcc-lock/bin/pip freeze --exclude-editable | grep -v -i -e "^pip==" -e "^district-command-center" > requirements.lock

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
