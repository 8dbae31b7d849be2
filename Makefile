# plr_luigi: `make reproduce` sets everything up and builds every output on the synthetic
# default store; `make test` runs the tests. See README.md.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# SCHEDULER=local runs without luigid; SCHEDULER=central uses the luigid of `make scheduler`.
SCHEDULER ?= local
WORKERS ?= 1
SCHEDULER_HOST ?= 127.0.0.1
SCHEDULER_PORT ?= 8082
# make bench BENCH=memory runs one benchmark (memory speed merge orchestration analysis imputation
# reproduce shap); empty: all of them. See BENCHMARKS.md.
BENCH ?=
# reproduce-from-checkpoint: an existing public results database.
DB ?= data/public/plr_results.duckdb

ifeq ($(SCHEDULER),central)
SCHEDULER_FLAGS := --scheduler-host $(SCHEDULER_HOST) --scheduler-port $(SCHEDULER_PORT)
else
SCHEDULER_FLAGS := --local-scheduler
endif
# MLflow 3.x refuses to open file stores without this (the study's store is one).
export MLFLOW_ALLOW_FILE_STORE := true
LUIGI := $(BIN)/luigi --module plr_luigi $(SCHEDULER_FLAGS) --workers $(WORKERS)

.PHONY: install reproduce reproduce-from-checkpoint extract analyze demo-data paper test test-deps \
	tex-deps lint clean clean-all bench bench-clean scheduler scheduler-stop

# The virtual environment is rebuilt whenever the declared dependencies change.
$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/.installed

reproduce: install
	$(BIN)/plr-luigi ensure-demo-store
	$(LUIGI) ReproduceAll

# Every output from an existing public database: no MLflow store is configured, so the
# database is taken as it is and nothing tries to read a store. The interpretation database
# beside it (SHAP, VIF), if there is one, comes along; without it those outputs are n/a.
reproduce-from-checkpoint: install
	@test -f "$(DB)" || { echo "no results database at $(DB) (set DB=...)"; exit 2; }
	@if [ "$(DB)" != "data/public/plr_results.duckdb" ]; then \
		mkdir -p data/public && cp "$(DB)" data/public/plr_results.duckdb; \
		if [ -f "$(dir $(DB))plr_interpretation.duckdb" ]; then \
			cp "$(dir $(DB))plr_interpretation.duckdb" data/public/; fi; fi
	$(LUIGI) ReproduceAll --plr-tracking-uri "" --plr-source-db ""

extract: install
	$(BIN)/plr-luigi ensure-demo-store
	$(LUIGI) database.MergeToDuckDB

analyze: install
	$(LUIGI) ReproduceAll

# The supplement, outputs/supplement.pdf (docs/paper.md): TeX Live if it is missing, then the
# build, whose Supplement task compiles it; without pdflatex it is unavailable, and this says why.
paper: tex-deps reproduce
	@test -f outputs/supplement.pdf || { cat outputs/supplement.unavailable.json 2>/dev/null; \
		echo "no outputs/supplement.pdf"; exit 1; }
	@echo "outputs/supplement.pdf"

# A fresh synthetic demo store; everything built from the previous one is removed.
demo-data: install clean
	rm -rf data/synthetic
	$(BIN)/plr-luigi synth --out data/synthetic --size demo --seed 42

lint: install
	$(BIN)/ruff check plr_luigi tests bench

# The tests spread over the cores (pytest-xdist); modules sharing a module-scoped store stay
# on one worker (xdist_group). TEST_WORKERS=0: in this process only.
TEST_WORKERS ?= auto
test: lint test-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

# Benchmarks at the paper's scale: bench/results/*.json and the table in BENCHMARKS.md. The
# first run generates an 800-run paper-size store in bench/.work (~25 GB, ~4 min).
bench: install
	$(BIN)/python -m bench.run $(BENCH)

# The benchmarks' stores and builds (the results in bench/results are kept).
bench-clean:
	rm -rf bench/.work

# System packages some tests use: TeX Live (tex-deps), Chromium (the luigid visualiser test) and
# Graphviz (the graph picture). Installed when missing and we are root; otherwise those tests
# skip or fall back (matplotlib draws the graph) and say why.
test-deps: tex-deps
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v dot >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq chromium graphviz >/dev/null; \
		else echo "chromium/graphviz missing and not root: their tests skip"; fi; fi

# TeX Live for the supplement and the tests that compile LaTeX: the smallest Debian set that
# compiles it (latex-base: geometry, graphicx, hyperref, fancyhdr, longtable; latex-recommended:
# booktabs, caption, pdflscape), about 48 MB to download and 145 MB installed (docs/paper.md).
TEX_PACKAGES := texlive-latex-base texlive-latex-recommended
tex-deps:
	@if ! command -v pdflatex >/dev/null 2>&1 || \
			! kpsewhich booktabs.sty caption.sty pdflscape.sty >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES) >/dev/null; \
		else echo "pdflatex missing and not root: the supplement is unavailable, its tests skip"; \
		fi; fi

# A central luigid on $(SCHEDULER_HOST):$(SCHEDULER_PORT) in the background (visualiser:
# http://127.0.0.1:8082), its state, log and pid under .luigid/. It reads luigi.cfg from here
# ([resources], [scheduler]). Then: make reproduce SCHEDULER=central WORKERS=4
LUIGID_DIR := .luigid
scheduler: install
	@mkdir -p $(LUIGID_DIR)
	$(BIN)/luigid --background --address $(SCHEDULER_HOST) --port $(SCHEDULER_PORT) \
		--pidfile $(LUIGID_DIR)/luigid.pid --logdir $(LUIGID_DIR)/log \
		--state-path $(LUIGID_DIR)/state.pickle
	@for i in $$(seq 50); do \
		curl -fsS -o /dev/null http://$(SCHEDULER_HOST):$(SCHEDULER_PORT)/api/task_list 2>/dev/null \
			&& break; sleep 0.2; done
	@echo "luigid pid $$(cat $(LUIGID_DIR)/luigid.pid): http://$(SCHEDULER_HOST):$(SCHEDULER_PORT)"

# SIGTERM: luigid saves its state (.luigid/state.pickle) before it exits.
scheduler-stop:
	@if [ -f $(LUIGID_DIR)/luigid.pid ] && kill -0 $$(cat $(LUIGID_DIR)/luigid.pid) 2>/dev/null; then \
		kill -TERM $$(cat $(LUIGID_DIR)/luigid.pid); \
		for i in $$(seq 50); do kill -0 $$(cat $(LUIGID_DIR)/luigid.pid) 2>/dev/null || break; \
			sleep 0.2; done; \
		echo "luigid stopped; state in $(LUIGID_DIR)/state.pickle"; \
	else echo "no luigid running from $(LUIGID_DIR)"; fi
	@rm -f $(LUIGID_DIR)/luigid.pid

# Removes everything derived from the store (interim, private lookup, database, outputs);
# keeps the synthetic store and the virtual environment.
clean:
	rm -rf data/interim data/private data/public
	find outputs -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

clean-all: clean
	rm -rf data/synthetic $(VENV)
