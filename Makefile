# The course's two commands are `make lab` and `make test`; the rest are for maintainers.
#
# Every target works in the active virtual environment if there is one ($VIRTUAL_ENV), and
# otherwise creates and uses .venv/ here. VENV=path chooses another (a conda env, say).

PYTHON ?= python3
ifdef VIRTUAL_ENV
VENV ?= $(VIRTUAL_ENV)
else
VENV ?= .venv
endif
BIN := $(VENV)/bin
STAMP := $(VENV)/.customer-segmentation-installed
LOCK := requirements/lock.txt
PORT ?= 8888
APP_PORT ?= 8866
APP_ARGS ?=
LAB_ARGS ?=
# JupyterLab refuses to start as root unless told; lab images and CI machines often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab app test install notebooks lock benchmark benchmark-spark clean help

help:
	@echo "make lab        install (if needed) and start JupyterLab on notebooks/ at 127.0.0.1:$(PORT)"
	@echo "make app        install (if needed) and start the k-means explorer alone (Voila) at 127.0.0.1:$(APP_PORT)"
	@echo "make test       install (if needed) and run every test: library and notebooks"
	@echo "make notebooks  re-execute every notebook and store its outputs (after changing one)"
	@echo "make benchmark  time k-means against scikit-learn's, prediction, validation and the RFM+X table against pandas, partial_fit plus the drift monitors against MiniBatchKMeans; peak memory"
	@echo "make benchmark-spark  fit 1, 5 and 20 million customers with the course engine, scikit-learn and Spark local[2] (about 20 minutes)"
	@echo "make lock       re-resolve the newest versions and rewrite $(LOCK)"
	@echo "make clean      remove .venv and caches"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "This course needs Python 3.11 or newer; '$(PYTHON)' is older. Run: make PYTHON=python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Installs again only when the package definition or the pinned versions change.
$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -c $(LOCK) -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) --ServerApp.root_dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)

# The explorer as a dashboard: Voila runs the notebook and shows its widgets, never its code.
app: $(STAMP)
	$(BIN)/voila app/kmeans_explorer.ipynb --no-browser --Voila.ip=127.0.0.1 --port=$(APP_PORT) $(APP_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

notebooks: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py notebooks

# Every benchmark runs even when one misses its target; the target fails at the end.
BENCHMARKS := kmeans_speed predict_speed validate_speed rfm_speed stream_speed
benchmark: $(STAMP)
	@missed=""; for name in $(BENCHMARKS); do \
	  $(BIN)/python benchmarks/$$name.py || missed="$$missed $$name"; done; \
	if [ -n "$$missed" ]; then echo "Over target or failed:$$missed"; exit 1; fi

benchmark-spark: $(STAMP)
	$(BIN)/python benchmarks/spark_scale.py --out benchmarks/results/spark_scale.csv

# A throw-away environment resolves the newest versions the ranges in pyproject.toml allow;
# its freeze becomes the lock. Commit the lock together with environment.yml's matching pins.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --disable-pip-version-check --quiet -e ".[test]"
	.lock-venv/bin/python -m pip freeze --exclude-editable > $(LOCK)
	rm -rf .lock-venv
	@echo "Wrote $(LOCK); now update the pins in environment.yml (make test checks they agree)."

clean:
	rm -rf .venv .lock-venv .pytest_cache .hypothesis build dist
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
