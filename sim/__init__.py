"""Physics: backends (MuJoCo CPU, mujoco.batch, MuJoCo Warp, PyBullet), the scene compiler,
cameras, navigation and the gymnasium environments (exploration, manipulation, vector)."""
