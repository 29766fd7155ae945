# The two commands: `make synth` writes cdktf.out/stacks/<region>/cdk.tf.json; `make test` runs every check.
# Both install what is missing first (pipenv from PyPI, then the locked packages into ./.venv).

PYTHON ?= python3
PIPENV_VERSION := 2026.10.3
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_NOSPIN := 1
export PIPENV_YES := 1
export PIPENV_IGNORE_VIRTUALENVS := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
PIPENV := $(PYTHON) -m pipenv
# The project's interpreter, once installed: no pipenv start-up on every run.
VENV_PYTHON := .venv/bin/python

.PHONY: synth test docs selftest verify bench install clean

synth: .venv/.installed
	$(VENV_PYTHON) main.py

test: .venv/.installed
	$(VENV_PYTHON) -m ruff format --check .
	$(VENV_PYTHON) -m ruff check .
	$(VENV_PYTHON) -m pytest

# After `cdktf deploy`: one test alert per region (ARGS=--dry-run to only print them).
selftest: .venv/.installed
	$(VENV_PYTHON) -m ops selftest $(ARGS)

# After `cdktf deploy`: the test alert sent and followed in CloudWatch, PASS or FAIL per region.
verify: .venv/.installed
	$(VENV_PYTHON) -m ops verify $(ARGS)

# Synthesis time against the original CDK app; writes benchmarks/results.json and history.tsv.
bench: .venv/.installed
	$(VENV_PYTHON) benchmarks/synth_bench.py

docs: .venv/.installed
	$(VENV_PYTHON) scripts/catalog_table.py --write

install: .venv/.installed

.venv/.installed: Pipfile.lock Makefile
	$(PYTHON) -m pipenv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "pipenv==$(PIPENV_VERSION)"
	$(PIPENV) sync --dev
	# Bytecode for `python -O` (provider_import.py, step 3), which pip does not compile.
	$(VENV_PYTHON) -O -m compileall -q -j 0 .venv/lib >/dev/null
	touch $@

clean:
	rm -rf cdktf.out .venv .pytest_cache
