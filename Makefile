# The two commands of the README: `make book` and `make test`. Both create the environment first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SCALE ?= ci
CH ?= 01_pid
PARAMS ?=
STAMP := $(VENV)/.installed

.PHONY: book test env lab run check clean lint browser

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[book,lab,test]'
	$(PY) -m infobook.book.lab_setup $(VENV)
	touch $(STAMP)

env: $(STAMP)

## Build the book: execute every chapter with papermill (SCALE=ci|full), render _build/html, check it.
book: $(STAMP)
	$(PY) -m infobook.book build --scale $(SCALE)

## Run the whole test suite (library tests, chapter execution, browser check of the built site).
test: $(STAMP) browser
	$(PY) -m pytest -q

## Debian's Chromium for the browser test of the built site (skipped with a reason if unavailable).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium could not be installed: the browser test will be skipped"

## Rerun one chapter: make run CH=01_pid SCALE=full, or PARAMS=path/to/overrides.yaml
run: $(STAMP)
	$(PY) -m infobook.book run $(CH) $(if $(PARAMS),--params $(PARAMS),--scale $(SCALE))

## JupyterLab on the loopback interface with a token; the chapters open as notebooks.
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --no-browser $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) \
	  --ServerApp.root_dir=$(CURDIR) book/01_pid.md

check: $(STAMP)
	$(PY) -m infobook.book check

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf _build
