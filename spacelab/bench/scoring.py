"""Scoring throughput for `spacelab bench`: how fast `spacelab score --pairs` scores
cognitive maps (timing lives here, never in tests)."""

from __future__ import annotations

import json
import random
import time

from perception.tos_metrics import score_pairs

NAMES = ("armchair", "bed", "fan", "globe", "heater", "lamp", "monitor", "oven", "piano", "table", "trashcan", "vase")
FACINGS = ("north", "east", "south", "west", None)


def synthetic_pairs(n: int, seed: int = 0) -> list[str]:
    """`n` pairs-file lines like an episode's probes: a 3-room-sized ground truth (12 objects,
    2 doors, the agent), a noisy prediction given as reply text, every third line with `seen`."""
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        gt = {"agent": {"position": [float(rng.randint(-3, 3)), float(rng.randint(-3, 3))], "facing": rng.choice(FACINGS[:4])}}
        for name in NAMES:
            gt[name] = {"position": [float(rng.randint(-8, 8)), float(rng.randint(-8, 8))], "facing": rng.choice(FACINGS)}
        for d in range(2):
            gt[f"door_{d}"] = {"position": [rng.randint(-8, 8) + 0.5, float(rng.randint(-8, 8))], "facing": None}
        pred = {k: {"position": [round(v["position"][0] + rng.gauss(0, 1), 1), round(v["position"][1] + rng.gauss(0, 1), 1)],
                    "facing": v["facing"] if rng.random() < 0.8 else rng.choice(FACINGS)}
                for k, v in gt.items() if rng.random() < 0.85}
        row = {"pred": f"My map so far:\n```json\n{json.dumps(pred)}\n```", "gt": gt}
        if i % 3 == 0:
            row["seen"] = rng.sample(sorted(gt), 8)
        lines.append(json.dumps(row))
    return lines


def score_pairs_rate(n: int = 10000, profile: str = "tos") -> dict:
    """Pairs/s of the `--pairs` path (JSON line in, scores out) over `n` synthetic pairs."""
    lines = synthetic_pairs(n)
    t0 = time.perf_counter()
    rows = [json.dumps(r) for r in score_pairs(lines, profile)]
    dt = time.perf_counter() - t0
    errors = sum('"error"' in r and '"line"' in r for r in rows)
    return {"profile": profile, "pairs": n, "seconds": round(dt, 3), "pairs_per_s": round(n / dt, 1),
            "seconds_per_10k": round(dt * 10000 / n, 3), "bad_lines": errors}


if __name__ == "__main__":
    for prof in ("tos", "spacelab"):
        print(json.dumps(score_pairs_rate(profile=prof)))
