# Quick start: `make run` (install, provision the base model, run the flywheel on samples/)
# and `make test` (install, run the whole test suite). Everything else is optional.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)

# Offline and telemetry-free in every process we start (measured: each of these stops a look-up that fails offline).
export PATH := $(abspath $(VENV))/bin:$(PATH)
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export DVC_NO_ANALYTICS := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_PROGRESS_BARS := 1
export TOKENIZERS_PARALLELISM := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: run test install lint repro summary serve prefect-up prefect-run prefect-down prefect-status push lock

run: install bubblewrap  ## install, provision the base model, run all six steps through Prefect + DVC
	$(PY) -m flows.flywheel

test: install chromium bubblewrap postgresql  ## the full test suite (unit + integration on the tiny model + real base model)
	$(PY) -m pytest

# Debian packages installed only when missing, with apt-get where there is one:
# $(call apt_package,<binary>,<package>,<what it is for>,<what happens without it>)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
define apt_package
	@if [ -x $(1) ]; then :; \
	elif command -v apt-get >/dev/null; then \
		echo "installing Debian's $(2) $(3)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(2) >/dev/null \
		|| echo "$(2) could not be installed: $(4)"; \
	else echo "no apt-get here to install $(2): $(4)"; fi
endef

# chromium for the Prefect UI test (tests/flows/test_local_stack.py); without it that test is
# skipped and says why.
.PHONY: chromium
chromium:
	$(call apt_package,/usr/bin/chromium,chromium,for the Prefect UI test,the Prefect UI test will be skipped)

# postgresql for the PostgreSQL ledger test (tests/ingest_feedback/test_ledger_postgres.py);
# without it that test is skipped and says why.
.PHONY: postgresql
postgresql:
	$(call apt_package,/usr/lib/postgresql/15/bin/initdb,postgresql,for the PostgreSQL ledger test,the PostgreSQL ledger test will be skipped)

# bubblewrap: evaluation runs generated code only inside it (tasks/evaluate/sandbox.py). Without
# it the Python records are recorded as `not run: no sandbox` and the sandbox tests skip.
.PHONY: bubblewrap
bubblewrap:
	$(call apt_package,/usr/bin/bwrap,bubblewrap,for the evaluation sandbox,generated code will not be executed)

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned: the local CPU wheel, never a CUDA build from the registry
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	# `dvc plots show` offline: a page template with vega inlined (from a pip package), set for
	# this checkout only (.dvc/config.local); `make plots` rewrites it if it goes missing
	$(PY) -m tasks.offline_pages template .dvc/tmp/offline-plots.html
	$(VENV)/bin/dvc config --local plots.html_template tmp/offline-plots.html
	rm -f $(VENV)/.installed-*
	touch $@

.PHONY: plots
plots: install  ## the DVC plots page, drawn offline (vega from pip packages): dvc_plots/index.html
	$(PY) -m tasks.offline_pages template .dvc/tmp/offline-plots.html
	$(PY) -m tasks.offline_pages plots

lint: install
	$(PY) -m ruff check tasks flows tests benchmarks

repro: install check-params  ## the same DAG without Prefect
	$(VENV)/bin/dvc repro

# Before any stage: a bad params edit fails here, not after `dvc repro` removed a stage's outputs.
.PHONY: check-params
check-params:  ## validate params.yaml (schema, no key written twice)
	$(PY) -m tasks.params --check

# Several DVC experiments (finetune.max_steps = each count); writes docs/learning-curve.{json,png}.
.PHONY: learning-curve
learning-curve: install  ## the default fine-tune at 28, 56 and 112 steps against the base (dvc exp)
	$(PY) benchmarks/learning_curve.py

# Steps 1-2 and their gates, prerequisites included: through DVC on params.yaml, or directly
# on another params file (make dataset PARAMS=my-params.yaml).
.PHONY: dataset
dataset: install  ## identify assets + build the dataset, up to the dataset gate
	$(PY) -m flows.dataset $(if $(PARAMS),--params $(PARAMS))

# After `make run`: serve the promoted model, review its answers as an IDE client would, ingest,
# continue the fine-tune, measure (params.yaml `feedback_round`; never promotes).
.PHONY: feedback-round
feedback-round: install bubblewrap  ## one measured feedback round on the promoted model
	$(PY) -m tasks.feedback_round

summary: install
	$(PY) -m tasks.summary

serve: install  ## OpenAI-compatible server on the promoted bundle (params.yaml `serve`)
	$(PY) -m tasks.serve

prefect-up: install  ## local Prefect server (SQLite) + gpu/cpu process workers + deployments
	$(PY) -m flows.local_stack up

prefect-run: install  ## trigger the flywheel deployment on the running server and wait
	$(PY) -m flows.local_stack run

prefect-status: install
	$(PY) -m flows.local_stack status

push: install  ## push outputs and run-cache to the DVC remote in params.yaml `remote`
	$(PY) -m flows.remote push

prefect-down:
	$(PY) -m flows.local_stack down

lock:  ## refresh constraints.txt from the current environment
	$(PY) -m pip freeze --exclude-editable | grep -v '^llmops-flywheel' > constraints.txt
