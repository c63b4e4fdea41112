"""Evaluation: episode jobs and records, the runner, protocols, launchers, results, leaderboard and report."""
