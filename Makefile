# Two commands on a fresh machine: `make setup` (install + build the default index with e5), `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
KB := $(VENV)/bin/kb
LIBRARY ?= data/lawrefbook-md.tar.xz

.PHONY: setup install model index library test eval bench serve clean

setup: install index

$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# torch first and pinned: the local CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
install: $(PY)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .

# The project's static Chinese model (the law library's dense side, and a baseline in make eval); trained unless
# a copy trained on the same data already exists.
model:
	$(KB) embed train --library $(LIBRARY)

# BM25 + e5 vectors (~2 min on 2 cores the first time; the vectors are cached in indexes/cache, so rebuilds are quick).
index:
	$(KB) index build

library: model
	$(KB) library import $(LIBRARY)

test:
	$(PY) -m pytest -q

eval: model
	$(PY) eval/run_all.py

bench: model
	$(PY) eval/bench_retrieval.py
	$(PY) eval/bench_app.py

serve:
	$(KB) serve

clean:
	rm -rf indexes/default indexes/library
