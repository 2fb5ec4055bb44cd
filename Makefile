# The two commands (see README.md):
#   make run    install what the app needs and start it
#   make test   install what the tests need (Python packages, Chromium, ffmpeg) and run them
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test test-fast predict train evaluate benchmark system-deps clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	touch $@

$(VENV)/.installed-train: $(VENV)/.installed requirements-train.txt
	$(PY) -m pip install -r requirements-train.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-train requirements-dev.txt
	$(PY) -m pip install -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) app.py

predict: $(VENV)/.installed
	$(PY) -m emotion predict examples/*.flac

system-deps:
	bash scripts/install-system-deps.sh

test: $(VENV)/.installed-dev system-deps
	HF_HUB_OFFLINE=1 $(PY) -m pytest

# The fast tier (about 90 s): library, model, handler, bad input; no server, browser or training.
test-fast: $(VENV)/.installed-dev
	HF_HUB_OFFLINE=1 $(PY) -m pytest -m "not slow"

# Reproduce the shipped weights (about 45 minutes on 2 CPU cores) and evaluate them.
RAVDESS ?= ../shared/ravdess
train: $(VENV)/.installed-train
	$(PY) -m train --data $(RAVDESS) --out weights

evaluate: $(VENV)/.installed-train
	$(PY) -m train.evaluate --weights weights --data $(RAVDESS) --actors 21-24

clean:
	rm -rf .cache .pytest_cache test-artifacts
