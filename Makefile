# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test setup setup-test translations messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.installed-run

setup: $(VENV)/.installed-run translations

setup-test: $(VENV)/.installed-test translations

translations: $(VENV)/.installed-run
	$(BIN)/python manage.py compile_translations

run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	PORT=$(PORT) $(BIN)/python scripts/run_local.py

test: setup-test
	bash scripts/test.sh

# For developers: refresh the .po files after changing texts (needs GNU gettext).
messages: $(BIN)/python
	$(BIN)/python manage.py makemessages -l ru -l en --ignore '.venv/*' --ignore 'var/*' --ignore 'clients/*' --ignore 'segmentation/*' --ignore 'loyalty/*' --ignore 'diagnostics/*'
	for app in clients segmentation loyalty diagnostics; do (cd $$app && ../$(BIN)/python ../manage.py makemessages -l ru -l en); done

clean:
	rm -rf $(VENV) var test-artifacts
