# Everything a developer or CI runs. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 2

.PHONY: install demo test lint typecheck unit train eval bench corpus clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Score the bundled sample pages with the shipped model and show the verdicts.
demo: $(STAMP)
	$(BIN)/detector explain samples/
	$(BIN)/detector score samples/ -o out/samples.jsonl
	@echo "rows written to out/samples.jsonl"

## Lint, type-check and run the test suite (what CI runs).
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check detector tests corpus

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

## Train the shipped model from corpus/ and record its held-out figures in the model card.
train: $(STAMP)
	$(BIN)/python -m detector.train --workers $(WORKERS)
	$(BIN)/python -m detector.evaluate --workers $(WORKERS) --update-card

## Evaluate the shipped model on the held-out corpus rows: reports/eval.md.
eval: $(STAMP)
	$(BIN)/python -m detector.evaluate --workers $(WORKERS)

## Speed and memory of `detector score` against trafilatura alone, side by side: reports/bench.md.
bench: $(STAMP)
	$(BIN)/python -m detector.bench

## Rebuild corpus/ from the raw sources in ../shared/corpus (only needed to change the corpus).
corpus: $(STAMP)
	$(BIN)/python corpus/build.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
