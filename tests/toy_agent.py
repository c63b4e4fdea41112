"""A toy agent registered from outside spacelab: one module plus one registration line."""

from planners.agents import Agent, register_agent


class TurnAround(Agent):
    """Looks around once (four quarter turns) and stops."""

    name = "turn-around"

    def reset(self, seed: int = 0, max_steps: int = 20) -> None:
        self.turns = 0

    def act(self, observation: str, info: dict) -> str:
        self.turns += 1
        return "Actions: [Term()]" if self.turns > 4 else "Actions: [Rotate(90), Observe()]"


register_agent("turn-around", TurnAround, "a test agent: four quarter turns, then Term", replace=True)


class DiesInWorker(Agent):
    """Kills the worker process that runs it, as a segfault would (in the main process it only raises)."""

    name = "dies-in-worker"

    def act(self, observation: str, info: dict) -> str:
        import multiprocessing
        import os

        if multiprocessing.current_process().name == "MainProcess":
            raise RuntimeError("dies-in-worker only dies in worker processes")
        os._exit(3)


register_agent("dies-in-worker", DiesInWorker, "a test agent that kills its worker process", replace=True)
