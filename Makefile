# DocDesk: `make run` serves the app with a worker; `make test` runs the whole suite. Both install first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export OMP_THREAD_LIMIT := 1

.PHONY: install install-test run test fuzz bench clean

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

test: install-test
	@$(PY) -m pytest

fuzz: install  # DOCDESK_FUZZ_CASES mutated files through ocr.load (CI runs 300); DOCDESK_FUZZ_SEED picks another set
	@DOCDESK_FUZZ_CASES=$${DOCDESK_FUZZ_CASES:-20000} $(PY) -m pytest -q -p no:randomly tests/ocr/test_load_fuzz.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
