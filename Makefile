# The two README commands. Each does the whole set-up itself (scripts/bootstrap.sh).
.PHONY: setup benchmark test bench coverage mutation

setup:
	@bash scripts/bootstrap.sh

# Default exploration benchmark: scout and strategist on tos-3room, local worker processes.
benchmark: setup
	MUJOCO_GL=egl .venv/bin/spacelab eval

test: setup
	MUJOCO_GL=egl .venv/bin/python -m pytest -q

bench: setup
	.venv/bin/spacelab bench

# Line coverage of every package, worker processes and CLI subprocesses included (htmlcov/index.html).
coverage: setup
	rm -f .coverage .coverage.*
	MUJOCO_GL=egl .venv/bin/python -m pytest -q --cov --cov-report=term --cov-report=html

# Mutation testing of the core modules ([tool.mutmut] in pyproject.toml); outside CI: it takes a while.
mutation: setup
	MUJOCO_GL=egl .venv/bin/python scripts/mutation.py
