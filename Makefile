# Riskboard: two commands on a fresh machine.
#   make run   create .venv, install, migrate, load the default catalogue and demo data, serve :8000
#   make test  create .venv, install, lint and run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed


.PHONY: run test lint migrate seed worker bench bench-load clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The development server runs with DEBUG on and, unless DATABASE_URL / CELERY_BROKER_URL are set,
# SQLite and in-process tasks.
run: export DJANGO_DEBUG ?= 1
run: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_default_catalogue
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

# Migrations must match the models: a model change without its migration fails before the tests run.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	DJANGO_SETTINGS_MODULE=riskboard.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

worker: $(STAMP)
	$(VENV)/bin/celery -A riskboard worker --beat --queues=celery,dashboards --loglevel=info

# Benchmark of score aggregation on the PostgreSQL database named by DATABASE_URL; AGREEMENTS
# (default 20000, 5 assessments each) sizes the portfolio; the audit page is also measured at 200
# agreements, in a database named after it with _small appended. Writes bench/results.json.
# BENCH_ARGS="--only audit" (or "--only scores", "--only dashboard", "--only api", "--only pages")
# measures one part. SCALE=10 measures a portfolio ten times larger (200,000 agreements, generated
# once into the database named after DATABASE_URL's with _x10 appended; it takes a long while, not
# for CI): the scores and the pages, written to bench/results-x10.json with growth ratios against
# the 1x recomputes timed alongside (on the 1x database) and the 1x run's pages in bench/results.json.
SCALE ?= 1
bench: $(STAMP)
	@test -n "$(DATABASE_URL)" || { echo "make bench: set DATABASE_URL to a PostgreSQL database"; exit 2; }
	SCALE=$(SCALE) $(PY) bench/run.py $(BENCH_ARGS)

# Load benchmark: gunicorn (DEBUG off, whitenoise's manifest) on a free port of 127.0.0.1 and locust,
# headless, with a mixed workload of analysts, managers and API clients; stops by itself after
# LOAD_SECONDS (default 60) with LOAD_USERS (default 8) users. Writes load_* keys to bench/results.json.
bench-load: $(STAMP)
	@test -n "$(DATABASE_URL)" || { echo "make bench-load: set DATABASE_URL to a PostgreSQL database"; exit 2; }
	$(PY) bench/load.py

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache .ruff_cache
