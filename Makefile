# brandloop: `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-stamp
DEB_PACKAGES := tesseract-ocr tesseract-ocr-eng fonts-dejavu-core chromium postgresql
BRIEF ?= examples/briefs/northwind_search.yaml
RUN_ARGS ?=

.PHONY: setup run test test-unit test-integration bench clean system-packages

setup: $(STAMP)

# Debian packages: OCR for the describer, fonts for its tests, Chromium for the browser tests, Postgres for
# the queue and store tests (they start a throwaway server when none runs).
# Installed only when missing.
system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml Makefile
	$(MAKE) system-packages
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: the CPU build lies on local disk; an unpinned torch pulls a CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,scale]'
	touch $(STAMP)

run: setup
	$(BIN)/brandloop run $(BRIEF) $(RUN_ARGS)

test: setup
	$(BIN)/python -m pytest

test-unit: setup
	$(BIN)/python -m pytest -m "not integration"

test-integration: setup
	$(BIN)/python -m pytest -m integration

# Engine speed, memory and the default run's wall time, as ratios measured side by side (about 10 minutes).
bench: setup
	$(BIN)/python scripts/bench_engines.py

clean:
	rm -rf $(VENV) .brandloop .pytest_cache
