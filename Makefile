# The two commands: `make synth` writes cdktf.out/stacks/<region>/cdk.tf.json; `make test` runs every check.
# Each installs first what it needs, and only that, into ./.venv, at the versions Pipfile.lock pins
# (scripts/install.py: the system Python only creates the virtual environment).

# Any Python 3.11, 3.12 or 3.13, e.g. `make synth PYTHON=python3.13`.
PYTHON ?= python3
VENV_PYTHON := .venv/bin/python
# jsii supports Node.js 22 and 24; 20 still works, without its 11-line end-of-life banner.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: python-check synth test docs selftest verify readiness replay coverage bench bench-replay bench-organization deployer-policy install clean

synth: .venv/.runtime
	$(VENV_PYTHON) main.py

# Two processes (pytest-xdist), a test file each at a time: a file's module fixtures are built once,
# and tests/check_cache.py shares each synthesized configuration between them.
# PYTEST_WORKERS= runs it in one process.
PYTEST_WORKERS ?= -n 2 --dist loadfile

test: .venv/.dev
	$(VENV_PYTHON) -m ruff format --check .
	$(VENV_PYTHON) -m ruff check .
	$(VENV_PYTHON) -m pytest $(PYTEST_WORKERS)

# After `cdktf deploy`: one test alert per region (ARGS=--dry-run to only print them).
selftest: .venv/.runtime
	$(VENV_PYTHON) -m ops selftest $(ARGS)

# After `cdktf deploy`: the test alert sent and followed in CloudWatch, PASS or FAIL per region.
verify: .venv/.runtime
	$(VENV_PYTHON) -m ops verify $(ARGS)

# Before or after deploying: would Security Hub's CIS CloudWatch.1-14 pass? PASS or FAIL per control.
readiness: .venv/.runtime
	$(VENV_PYTHON) -m ops readiness $(ARGS)

# Your CloudTrail history against the synthesized rules: alerts and suppressions per detection.
# LOGS=path: an AWSLogs/ folder as S3 holds it, or JSON lines; or, without LOGS, the trail
# bucket's table on Athena: ARGS="--athena --database D --table T", or ARGS=--athena alone with
# athenaTable on (docs/tuning.md).
replay: .venv/.runtime
	$(VENV_PYTHON) -m ops replay $(LOGS) $(ARGS)

# Attack techniques the synthesized stacks alert on: covered or missed per technique, and a total.
# LOGS=folder: detonation logs, one file per technique (Stratus Red Team's docs/detonation-logs).
coverage: .venv/.runtime
	$(VENV_PYTHON) -m ops coverage $(LOGS) $(ARGS)

# The IAM policy the deploying identity needs, from the synthesized stacks: deployer-policy.json
# (ARGS=--management: the management role's, in management-policy.json; --output FILE: there).
deployer-policy: .venv/.runtime
	$(VENV_PYTHON) -m ops deployer-policy --to-file $(ARGS)

# Synthesis time against the original CDK app (ARGS=--record also writes benchmarks/*).
bench: .venv/.runtime
	$(VENV_PYTHON) benchmarks/synth_bench.py $(ARGS)

# make replay's speed and peak memory on the corpus replicated to a million records (runs of it:
# min/median/max; ARGS=--record also writes docs/performance.md's lines).
bench-replay: .venv/.runtime
	$(VENV_PYTHON) benchmarks/replay_bench.py $(ARGS)

# Organization mode: synthesis with 1 and with 1,000 named accounts (ARGS=--record: docs/performance.md's).
bench-organization: .venv/.runtime
	$(VENV_PYTHON) benchmarks/organization_bench.py $(ARGS)

docs: .venv/.dev
	$(VENV_PYTHON) scripts/catalog_table.py --write
	$(VENV_PYTHON) scripts/config_reference.py --write
	$(VENV_PYTHON) scripts/chat_picture.py --write
	$(VENV_PYTHON) scripts/readme_figures.py --write

install: .venv/.runtime

# PYTHON_ORIGIN: whether PYTHON was chosen (command line, environment) or is the default here, so
# that a .venv made with another Python is reused, or named, never silently rebuilt.
# A PYTHON given on the command line or in the environment is checked against .venv's every
# time (install.py names a mismatch); the default reuses .venv as it is.
ifneq ($(origin PYTHON),file)
PYTHON_CHECK := python-check
endif

.venv/.runtime: Pipfile.lock scripts/install.py $(PYTHON_CHECK)
	PYTHON_ORIGIN="$(origin PYTHON)" $(PYTHON) scripts/install.py runtime
	touch $@

.venv/.dev: .venv/.runtime
	PYTHON_ORIGIN="$(origin PYTHON)" $(PYTHON) scripts/install.py dev
	touch $@

python-check:

# What the commands made to work with: .venv, caches and cdktf.out, but Terraform's
# .terraform.lock.hcl files (the providers' checksums: keep them); state files and the policies
# written for you stay.
clean:
	rm -rf .venv .pytest_cache .ruff_cache
	if [ -d cdktf.out ]; then find cdktf.out -type f ! -name .terraform.lock.hcl -delete; find cdktf.out -depth -type d -empty -delete; fi
