# Two entry points for a fresh clone: `make demo` and `make test`.
# Both create .venv with a Python >= 3.12 (found by tools/find-python) and
# install countysim into it with the tested versions of requirements/constraints.txt;
# the install is redone when pyproject.toml or the constraints change.
# `make lock` regenerates the constraints from the newest versions pyproject.toml allows.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements/constraints.txt

.PHONY: demo test test-slow lint lock bench bench-batch bench-faults bench-sensitivity clean-venv

$(STAMP): pyproject.toml $(LOCK)
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  echo "$(VENV) has an old Python; recreating it"; rm -rf $(VENV); fi
	@if [ ! -x $(PY) ]; then \
	  py=$$(tools/find-python) || exit 1; \
	  echo "creating $(VENV) with $$py"; $$py -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(LOCK) -e '.[dev]'
	@touch $(STAMP)

# A fresh environment with the newest allowed versions, frozen into $(LOCK). Run it after
# changing dependencies or extras (also after merging a branch that did), then make test.
lock:
	@py=$$(tools/find-python) || exit 1; rm -rf .venv-lock && $$py -m venv .venv-lock && \
	  .venv-lock/bin/python -m pip install --quiet --upgrade pip && \
	  .venv-lock/bin/python -m pip install --quiet -e '.[dev]' && \
	  { echo "# Tested versions of every distribution countysim[dev] installs: make demo and make test"; \
	    echo "# install from this file (pip install -c $(LOCK) -e '.[dev]')."; \
	    echo "# Regenerate with: make lock   (after changing dependencies or extras in pyproject.toml)."; \
	    echo "# Made with Python $$(.venv-lock/bin/python -c 'import platform; print(platform.python_version())') on $$(uname -m) $$(uname -s)."; \
	    .venv-lock/bin/python -m pip freeze --exclude-editable; } > $(LOCK).new && \
	  mv $(LOCK).new $(LOCK); status=$$?; rm -rf .venv-lock; exit $$status

demo: $(STAMP)
	$(VENV)/bin/countysim run scenarios/baseline.toml --out results/baseline

# The suite on every core (pytest-xdist); a module's tests stay on one worker, so its
# fixtures are built once. Run one file or test without workers: .venv/bin/pytest -n 0 ...
test: $(STAMP)
	$(PY) -m pytest -n auto --dist loadscope

# The slow tests too (the full fault-injection test, about five minutes).
test-slow: $(STAMP)
	$(PY) -m pytest -n auto --dist loadscope -m "slow or not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) benchmarks/bench_run.py

bench-batch: $(STAMP)
	$(PY) benchmarks/bench_batch.py

bench-faults: $(STAMP)
	$(PY) benchmarks/bench_faults.py

bench-sensitivity: $(STAMP)
	$(PY) benchmarks/bench_sensitivity.py

clean-venv:
	rm -rf $(VENV)
