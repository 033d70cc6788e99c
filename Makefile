# Two entry points for a fresh clone: `make demo` and `make test`.
# Both create .venv with a Python >= 3.12 (found by tools/find-python) and
# install countysim into it; the install is redone when pyproject.toml changes.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench bench-batch bench-sensitivity clean-venv

$(STAMP): pyproject.toml
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  echo "$(VENV) has an old Python; recreating it"; rm -rf $(VENV); fi
	@if [ ! -x $(PY) ]; then \
	  py=$$(tools/find-python) || exit 1; \
	  echo "creating $(VENV) with $$py"; $$py -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/countysim run scenarios/baseline.toml --out results/baseline

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) benchmarks/bench_run.py

bench-batch: $(STAMP)
	$(PY) benchmarks/bench_batch.py

bench-sensitivity: $(STAMP)
	$(PY) benchmarks/bench_sensitivity.py

clean-venv:
	rm -rf $(VENV)
