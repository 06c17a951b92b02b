# Everything a developer or CI runs. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 2

.PHONY: install demo test lint typecheck unit gate train eval eval-pin repin validate-text validate-page bench bench-dedup corpus clean

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

## Lint, type-check, the test suite and the fast evaluation gate (what CI runs).
test: lint typecheck unit gate

lint: $(STAMP)
	$(BIN)/ruff check detector tests corpus
	$(BIN)/ruff format --check detector tests corpus

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

## The evaluation gate on the held-out sets, without baselines and refitted splits (about a minute).
gate: $(STAMP)
	$(BIN)/python -m detector.evaluate --fast --workers $(WORKERS)

## Train the shipped model from corpus/ and record its held-out headline figures in the model card.
train: $(STAMP)
	$(BIN)/python -m detector.train --workers $(WORKERS)
	$(BIN)/python -m detector.evaluate --fast --no-gate --update-card --workers $(WORKERS)

## The whole evaluation, baselines and refitted splits included: reports/eval.md; fails below the floors.
eval: $(STAMP)
	$(BIN)/python -m detector.evaluate --workers $(WORKERS)

## Re-pin the gate's floors (reports/floors.json) to this model's figures; they only tighten (up for ROC-AUC
## and TPR, down for ECE and FPR) unless ALLOW_LOWER=1 (say why in the commit). The model card then carries the whole evaluation's summary.
eval-pin: $(STAMP)
	$(BIN)/python -m detector.evaluate --workers $(WORKERS) --pin --update-card $(if $(ALLOW_LOWER),--allow-lower,)

## The same re-pin from the figures the last full evaluation wrote (reports/eval.json), without running it again:
## when eval-pin refused to lower a floor, `make repin ALLOW_LOWER=1` (say why in the commit).
repin: $(STAMP)
	$(BIN)/python -m detector.evaluate --from-results reports/eval.json --pin --update-card $(if $(ALLOW_LOWER),--allow-lower,)

## The text model's design validation inside the training split (never the held-out rows):
## reports/validate_text.md.
validate-text: $(STAMP)
	$(BIN)/python -m detector.validate_text --workers $(WORKERS)

## The page model's design validation inside the training split (never the held-out rows):
## reports/validate_page.md.
validate-page: $(STAMP)
	$(BIN)/python -m detector.validate_page --workers $(WORKERS)

## Speed and memory of `detector score` against trafilatura alone, side by side: reports/bench.md.
bench: $(STAMP)
	$(BIN)/python -m detector.bench

## Near-duplicate signatures and LSH against datasketch, side by side: reports/bench_dedup.md.
bench-dedup: $(STAMP)
	$(BIN)/python -m detector.bench_dedup

## Rebuild corpus/ from the raw sources in ../shared/corpus (only needed to change the corpus).
corpus: $(STAMP)
	$(BIN)/python corpus/build.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
