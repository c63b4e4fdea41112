"""The backend interface: what every physics engine must provide to run spacelab scenes.

A backend loads a SceneSpec (compiling it with its own compiler), resets to the scene's
initial state, steps with controls, and answers queries about poses, contacts and rays.
Tasks and sensors only talk to this interface, never to an engine directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from scenes.spec import SceneSpec


class BackendError(RuntimeError):
    """A backend cannot be used (missing package, no GPU, bad state); the message says what to do."""


class Backend(ABC):
    name: str = "abstract"

    @abstractmethod
    def load(self, spec: SceneSpec) -> None:
        """Compile and load a scene; afterwards the backend is at the scene's initial state."""

    @abstractmethod
    def reset(self, state: np.ndarray | None = None) -> None:
        """Return to the initial state, or to a state from `get_state()`."""

    @abstractmethod
    def get_state(self) -> np.ndarray: ...

    @abstractmethod
    def step(self, ctrl: np.ndarray, nsteps: int = 1) -> None:
        """Apply `ctrl` (robot actuators) for `nsteps` physics steps."""

    @property
    @abstractmethod
    def timestep(self) -> float: ...

    @property
    @abstractmethod
    def physics_steps(self) -> int:
        """Physics steps taken since load (for throughput accounting)."""

    @abstractmethod
    def robot_pose(self) -> tuple[float, float, float]:
        """Robot (x, y, heading in compass degrees) in the world frame."""

    @abstractmethod
    def object_poses(self) -> dict[str, tuple[float, float, float]]:
        """Every scene object's (x, y, heading in compass degrees) in the world frame."""

    @abstractmethod
    def set_object_pose(self, name: str, x: float, y: float, heading: float) -> None:
        """Move a (static) scene object; used by protocols that change the scene."""

    @abstractmethod
    def robot_velocity(self) -> np.ndarray:
        """Robot (vx, vy, yaw rate in rad/s)."""

    @abstractmethod
    def camera_position(self) -> np.ndarray:
        """World position of the robot camera."""

    @abstractmethod
    def robot_contacts(self) -> int:
        """Number of contacts between the robot and anything else right now."""

    @abstractmethod
    def cast_rays(self, origin: np.ndarray, dirs: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
        """Cast unit rays `dirs` (n, 3) from `origin`, ignoring the robot itself.

        Returns (dist, entity): distance to the first hit (-1 for none) and the index of
        the scene entity hit (objects then doors, as in `entity_names`), or -1 for walls,
        floor and no hit.
        """

    @property
    @abstractmethod
    def entity_names(self) -> list[str]: ...

    def render(self, width: int = 128, height: int = 128) -> np.ndarray:
        """RGB image (height, width, 3) uint8 from the robot camera."""
        raise BackendError(f"backend {self.name!r} cannot render")

    def close(self) -> None:
        pass
