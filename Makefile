# The two commands (see README.md):
#   make run    install what the app needs and start it
#   make test   install what the tests need (Python packages, Chromium, ffmpeg) and run them
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test test-fast predict train evaluate benchmark corpora system-deps clean

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

# The fast tier (about 45 s on 2 cores): library, model, handler, bad input; no server, browser, subprocess or training.
test-fast: $(VENV)/.installed-dev
	HF_HUB_OFFLINE=1 $(PY) -m pytest -m "not slow"

# Reproduce the shipped weights (about an hour on 2 CPU cores; needs ffmpeg for the codecs) and evaluate them.
# The shipped recipe: RAVDESS, a quarter of the crops from a codec version of the clip, a quarter
# through simulated rooms, lines and noise, and half coloured like another microphone, each crop its
# own way (run C4, chosen on actors 1-20: experiments/README.md).
# The three members train side by side, the cores shared among them (train.members); stopped,
# `make train` again goes on from each member's last epoch in $(RUNS).
RAVDESS ?= ../shared/ravdess
RUNS ?= runs/make-train
RECIPE ?= --codecs --variant-prob 0.25 --channel-sim 0.25 --mic-filter 0.5 --mic-tilt 4 --mic-per-clip
train: $(VENV)/.installed-train
	$(PY) -m train.members --runs $(RUNS) -- --data $(RAVDESS) $(RECIPE) --ensemble 3 --out weights

# nEMO, ASED, EMOVO, BAVED, Emotion TTS and TurEV-DB at the commits the results were measured on, into $(DATA)/NAME (git).
DATA ?= ../data
corpora: $(VENV)/.installed-train
	$(PY) -m train.get_corpora --dest $(DATA)

evaluate: $(VENV)/.installed-train
	$(PY) -m train.evaluate --weights weights --data $(RAVDESS) --actors 21-24

clean:
	rm -rf .cache .pytest_cache test-artifacts
