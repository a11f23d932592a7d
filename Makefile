# DocDesk: `make run` serves the app with a worker; `make test` runs the linters and the whole suite.
# `make test-fast` is the edit loop: the linters and every test not marked slow or browser (under a minute).
# All of them install what is missing first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export OMP_THREAD_LIMIT := 1

.PHONY: install install-test run lint test test-fast fuzz clean

install: $(VENV)/.installed
	@scripts/install-system.sh

install-test: install
	@scripts/install-system.sh --test

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.txt
	@touch $@

run: install
	@$(PY) cli.py db upgrade
	@$(PY) cli.py users ensure-admin
	@exec scripts/run.sh

# The house rules as checks (settings in pyproject.toml): style, import order and complexity (ruff), the types
# of ocr/ and storage/ (mypy), the layers (import-linter). All three run, so one pass shows every finding.
lint: install
	@status=0; \
	$(VENV)/bin/ruff check --quiet --output-format concise . || status=1; \
	$(VENV)/bin/mypy || status=1; \
	$(VENV)/bin/lint-imports | sed -n '/^Contracts:/,$$p'; [ $${PIPESTATUS[0]} -eq 0 ] || status=1; \
	exit $$status

test: install-test lint
	@$(PY) -m pytest

test-fast: install lint
	@$(PY) -m pytest -q -m "not slow and not browser"

fuzz: install  # DOCDESK_FUZZ_CASES mutated files through ocr.load (CI runs 300); DOCDESK_FUZZ_SEED picks another set
	@DOCDESK_FUZZ_CASES=$${DOCDESK_FUZZ_CASES:-20000} $(PY) -m pytest -q -p no:randomly tests/ocr/test_load_fuzz.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache .import_linter_cache
