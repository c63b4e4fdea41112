#!/usr/bin/env bash
# Idempotent set-up for spacelab on a fresh machine:
#   1. system libraries for headless rendering (EGL, OSMesa) and open3d (libusb, libgomp),
#   2. Slurm and munge from Debian's packages, for the local test cluster (scripts/slurm-local.sh),
#   3. a virtual environment in .venv with spacelab and its test tools installed.
# Re-running is cheap: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "spacelab needs Python >= 3.11 (found $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2; exit 2; }

# library file -> Debian package that provides it
declare -A LIBS=(
  [libEGL.so.1]=libegl1 [libOSMesa.so.8]=libosmesa6 [libGL.so.1]=libgl1
  [libusb-1.0.so.0]=libusb-1.0-0 [libgomp.so.1]=libgomp1
)
missing=()
have=$(ldconfig -p 2>/dev/null || true)
for lib in "${!LIBS[@]}"; do
  grep -qF "$lib" <<<"$have" || missing+=("${LIBS[$lib]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "[bootstrap] installing system libraries: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "[bootstrap] warning: missing ${missing[*]}; rendering may be unavailable (install them with your package manager)" >&2
  fi
fi

# A one-node Slurm cluster for launcher=slurm and its tests (scripts/slurm-local.sh up starts it);
# optional: without root or sudo the Slurm tests are skipped with that reason. SPACELAB_NO_SLURM=1 skips it.
if [ -z "${SPACELAB_NO_SLURM:-}" ] && ! { command -v slurmctld && command -v slurmd && command -v sbatch && command -v munged; } >/dev/null 2>&1; then
  slurm_pkgs=(slurmctld slurmd slurm-client munge)
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "[bootstrap] installing Slurm and munge: ${slurm_pkgs[*]}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${slurm_pkgs[@]}" >/dev/null; } \
      || echo "[bootstrap] warning: could not install ${slurm_pkgs[*]}; the Slurm tests will be skipped" >&2
  elif command -v apt-get >/dev/null && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    { sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${slurm_pkgs[@]}" >/dev/null; } \
      || echo "[bootstrap] warning: could not install ${slurm_pkgs[*]}; the Slurm tests will be skipped" >&2
  else
    echo "[bootstrap] note: Slurm is not installed (needs apt-get and root); the Slurm tests will be skipped" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "[bootstrap] creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.spacelab-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[bootstrap] installing spacelab and dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip install -q -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import mujoco, open3d, cv2, networkx, hydra, gymnasium, pybullet" \
    || { echo "[bootstrap] installation failed (see pip output above)" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
