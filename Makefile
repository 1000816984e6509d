# Two commands do everything on a fresh Linux machine with Python 3.10+:
#   make lab    create .venv, install the course, open JupyterLab on work/ (your copy of course/)
#   make test   create .venv if needed, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
# JupyterLab refuses to run as root unless told; only then is the flag added.
ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root,)
# Tests run in parallel on every core; notebooks and end-to-end grading dominate.
PYTEST_ARGS ?= -n auto
# JupyterLab's port and token: `make lab PORT=8890 TOKEN=...` (empty TOKEN: a random one).
# Plain assignments, so only the command line sets them, never a stray environment variable.
PORT  = 8888
TOKEN =
# The environment's scripts first on PATH, as activating it would: nbgrader's gradebook
# runs the `alembic` script, and Formgrader fails without it.
RUN   = PATH="$(abspath $(BIN)):$$PATH"
# One shell line: a token (given or random), the URL printed, then JupyterLab in front.
define JUPYTER
token="$(TOKEN)"; [ -n "$$token" ] || token=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))'); \
echo "$(2): http://127.0.0.1:$(PORT)/$(3)?token=$$token"; \
$(RUN) exec $(BIN)/jupyter lab --ServerApp.root_dir=$(1) --ServerApp.port=$(PORT) --ServerApp.port_retries=0 \
  --IdentityProvider.token="$$token" $(4) $(ROOT_FLAG)
endef

# torch before the rest. With an NVIDIA GPU (nvidia-smi present): PyPI's build, with CUDA.
# Without one: PyTorch's CPU-only build (a ~190 MB wheel instead of several GB of CUDA
# libraries). Should that index be unreachable, give up after a short timeout and let the
# install below take torch from PyPI as usual. A PIP_CONSTRAINT (CI's) applies to both.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
define TORCH_FIRST
if command -v nvidia-smi >/dev/null 2>&1; then \
  echo "torch: NVIDIA GPU found, installing the CUDA build from PyPI"; \
elif $(BIN)/python -m pip install --quiet --timeout 15 --retries 0 --index-url $(TORCH_INDEX) \
     "torch>=2.2"; then \
  echo "torch: CPU-only build installed (no NVIDIA GPU here)"; \
else \
  echo "torch: the CPU-only index could not be used; taking torch from PyPI instead"; \
fi
endef

.PHONY: lab instructor test setup clean site

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@$(TORCH_FIRST)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# The learner's own copy: work/ (git-ignored) is seeded from course/; later chapters are
# added, updated ones placed beside the learner's notebook, never over it.
lab: $(STAMP)
	$(BIN)/python -m autograder.workcopy
	@$(call JUPYTER,work,JupyterLab (your notebooks are in work/),lab)

# The instructor's server on the whole course: Formgrader lists every chapter and the
# graded demo class (graded once, the first time), manual grading included.
instructor: $(STAMP)
	$(RUN) $(BIN)/python -m autograder gradebook --demo
	@$(call JUPYTER,.,Formgrader,formgrader,--ServerApp.open_browser=False)

# One BLAS thread per xdist worker: the workers already use every core, and threaded
# BLAS on the tests' small matrices only oversubscribes them (up to 5x slower).
test: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

# The course as a static web site in site/_build/html (offline; see README, "The course site").
# Executed solution notebooks are cached in site/_cache by content hash: rebuilds are fast.
site: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python site/build.py $(SITE_ARGS)

clean:
	rm -rf $(VENV) grading .pytest_cache .hypothesis site/_build site/_cache
