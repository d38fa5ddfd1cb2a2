# The README's commands: make run, make test (plus lint and worker).
# Every target sets up what it needs itself.

HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
# A slow or flaky package index is retried rather than failing the setup.
PIP_INSTALL = $(BIN)/python -m pip install --quiet --retries 10 --timeout 60
BIN := $(VENV)/bin
# The suite runs on every core (pytest-xdist); PYTEST_ARGS=-n0 runs it in one process.
PYTEST_ARGS ?= -n auto

# A Python 3.12+ interpreter: python3.13/python3.12 on PATH, else pyenv's.
PYTHON ?= $(shell \
	for p in python3.13 python3.12; do \
		if $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
			command -v $$p; exit 0; fi; \
	done; \
	for v in 3.13 3.12; do \
		for d in $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/$$v* 2>/dev/null | sort -rV); do \
			if "$$d/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
				echo "$$d/bin/python"; exit 0; fi; \
		done; \
	done)

.PHONY: run test lint worker setup clean

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Python 3.12 or newer is needed (3.13 preferred)."; \
		echo "Install it from python.org, your package manager (python3.13) or pyenv (pyenv install 3.13)."; \
		exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) -r requirements-dev.txt
	@touch $@

setup: $(VENV)/.installed

run: export DJANGO_DEBUG ?= 1
run: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo_content
	$(BIN)/python manage.py create_local_admin
	@echo ""
	@echo "  Site:  http://$(HOST):$(PORT)/"
	@echo "  Admin: http://$(HOST):$(PORT)/admin/"
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
		$(BIN)/python manage.py run_worker & \
		$(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py run_worker

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

clean:
	rm -rf $(VENV) staticfiles
