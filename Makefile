# `make run` and `make test` set everything up on a fresh machine: the virtualenv, the pinned
# requirements (the app's for run; the tests' too for test), the compiled translations and (for run) a migrated SQLite database.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export INCIDENTS_INSTANCE_PATH ?= $(CURDIR)/instance
HOST ?= 127.0.0.1
PORT ?= 5000
# Links printed on the command line (the first administrator's) point at the served address.
export INCIDENTS_PUBLIC_URL ?= http://$(HOST):$(PORT)
PYTEST_ARGS ?=
# The suite runs in as many processes as the machine has cores (pytest-xdist), each test on a
# database of its own: `make test PYTEST_WORKERS=0` runs it in this one process.
PYTEST_WORKERS ?= auto

.PHONY: run test test-postgres lint audit-dependencies setup translations init-db demo extract update-translations clean-venv

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# The tests and checks need more than the app: installed by `make test`, never by `make run`.
$(BIN)/.dev-installed: requirements-dev.txt $(BIN)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed translations

translations: $(BIN)/.installed
	$(BIN)/pybabel compile --statistics -d translations 2>&1 | grep -v '^$$' || true
	@ls translations/*/LC_MESSAGES/messages.mo > /dev/null

init-db: setup
	$(BIN)/flask --app app init-db

# The job worker (previews, public copies, signed bundles, e-mail) runs beside the server and stops
# with it: Ctrl+C stops both; a job it was doing is taken up again at the next start.
run: init-db
	$(BIN)/flask --app app worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT)

demo: init-db
	$(BIN)/flask --app app demo

# Static checks first (ruff.toml: pyflakes, import order, bugbear, pyupgrade, and the security rules
# on the application), then the pinned requirements against known vulnerabilities, then the suite.
test: $(BIN)/.dev-installed setup lint audit-dependencies
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The same suite on PostgreSQL, in a throwaway cluster started and removed around it (.ci/with-postgres).
test-postgres: $(BIN)/.dev-installed setup
	.ci/with-postgres $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(BIN)/.dev-installed
	$(BIN)/ruff check .

audit-dependencies: $(BIN)/.dev-installed
	$(BIN)/python .ci/audit_dependencies.py

# Re-extract the interface strings after changing them, then merge them into each catalog.
extract: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--omit-header -o translations/messages.pot .

update-translations: extract
	$(BIN)/pybabel update --no-fuzzy-matching -i translations/messages.pot -d translations
