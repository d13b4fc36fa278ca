# Two commands on a fresh machine: `make lab` and `make test`.
PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
LAB_ARGS ?=
# Jupyter refuses to run as root unless told; containers and CI often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NBVAL     := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
# Same results on every machine: UTC clock display, fixed hash seed, non-interactive plots.
export TZ := UTC
export PYTHONHASHSEED := 0

.PHONY: lab test setup notebooks starters check-challenge bench clean

setup: $(STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The project's JupyterLab settings (lab/overrides.json: no news pop-up) go into the environment's
# own settings folder; the environment's bin/ goes first on PATH, so `desk` works in the lab's
# terminals and in `!desk ...` cells.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

$(LAB_SETTINGS): lab/overrides.json $(STAMP)
	mkdir -p $(dir $@)
	cp lab/overrides.json $@

lab: $(STAMP) $(LAB_SETTINGS)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab --config=lab/jupyter_server_config.py --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest tests $(if $(NOTEBOOKS),$(NBVAL) $(NOTEBOOKS))

# Re-execute the complete notebooks in place (deterministic; twice in a row gives no diff).
notebooks: $(STAMP)
	MPLBACKEND=module://matplotlib_inline.backend_inline $(BIN)/python tools/execute_notebooks.py

# Regenerate the learner's notebooks in starters/ from the complete ones.
starters: $(STAMP)
	$(BIN)/python tools/make_starters.py

# The optional challenge: run the checker on starters/priority_queue.py.
check-challenge: $(STAMP)
	$(BIN)/desk check priority_queue

# Measure what "instant" means (a few minutes; not part of `make test`). The last line is JSON.
# benchmarks/bench_*.py look closer at one part each.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
