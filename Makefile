# The two entry points of the README: `make demo` and `make test`.
# Both set everything up on a fresh machine (a virtualenv in .venv, no manual PostgreSQL).

PYTHON ?= python3
# Where `make demo` serves: `make demo PORT=8101 HOST=0.0.0.0`.
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: demo test lint typecheck install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/parlons demo --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# mypy --strict over survey/ and analysis/ ([tool.mypy] in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/python -m mypy

test: $(STAMP) lint typecheck
	@command -v chromium >/dev/null || command -v /usr/bin/chromium >/dev/null || \
		{ [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium is missing: browser tests will be skipped"
	$(BIN)/python -m pytest -q
