# The two README commands. Each does the whole set-up itself (scripts/bootstrap.sh).
.PHONY: setup benchmark test bench

setup:
	@bash scripts/bootstrap.sh

# Default exploration benchmark: scout and strategist on tos-3room, local worker processes.
benchmark: setup
	MUJOCO_GL=egl .venv/bin/spacelab eval

test: setup
	MUJOCO_GL=egl .venv/bin/python -m pytest -q

bench: setup
	.venv/bin/spacelab bench
