# Two commands do everything on a fresh Linux machine with Python 3.10+:
#   make lab    create .venv, install the course, open JupyterLab on course/
#   make test   create .venv if needed, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
# JupyterLab refuses to run as root unless told; only then is the flag added.
ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root,)
# Tests run in parallel on every core; notebooks and end-to-end grading dominate.
PYTEST_ARGS ?= -n auto

.PHONY: lab test setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=course $(ROOT_FLAG)

# One BLAS thread per xdist worker: the workers already use every core, and threaded
# BLAS on the tests' small matrices only oversubscribes them (up to 5x slower).
test: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) grading .pytest_cache .hypothesis
