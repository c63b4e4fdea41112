"""The `tos` scoring profile: Theory-of-Space's own cognitive-map rules, next to spacelab's.

`score(pred, gt, profile="tos"|"spacelab", seen=None, scale=None)` is the one entry point;
`profile="spacelab"` is `perception.belief.score_map` unchanged (see docs/tos-profiles.md for
every difference). The rules below are ToS's, read from its code and written anew here.
References: ToS_Base = williamzhangNU/ToS_Base (tos_base/...), ToS = mll-lab-nu/Theory-of-Space
(vagen/env/spatial/Base/tos_base/...), whose cognitive_map_manager.py is the newest.

Parsing a reply (`parse_map_tos`):
 1. JSON extraction: candidates are the fenced blocks ```json {...}``` and every outermost
    balanced {...} span (the brace scan ignores strings); all are tried longest first with a
    plain `json.loads` (no repairs; NaN/Infinity literals load) and the first that loads wins;
    none -> extraction failure. ToS: managers/cognitive_map_manager.py, `_extract_json_from_text`.
 2. Nested form: a map with top-level "objects" or "gates" is flattened: other top-level dict
    entries stay, list items are named by "label" | "name" | "id" | "type" (first non-empty,
    stripped) and positioned by "position" | "pos" | "xy" (first truthy); dict sections keep
    their keys. ToS: cognitive_map_manager.py, `_preprocess_predicted._flatten_nested_json`.
 3. Entries: only dict values count; the position is read from "position" alone and must be a
    list of two numbers (or numeric strings). ToS: `_parse_section_to_baseroom`.
 4. Facing, global map: a string is stripped and lower-cased, then n/s/e/w, +y/-y/+x/-x,
    forward/front/ahead -> north, back/backward/behind -> south, right -> east, left -> west;
    any other string (e.g. "unknown", "northeast", "up") -> north; a non-string (missing, null,
    90) -> no facing, which never matches. ToS: `_preprocess_predicted._norm_face_global`, then
    `_parse_section_to_baseroom` (direction_mapping.get(..., north)).
 5. Facing, local map: only +y/+x/-y/-x are rewritten, to the absolute direction they point
    in given the agent's true facing (forward, right, back, left of it); everything else
    follows rule 4's last step (so "back" -> north here). ToS: `_norm_face_local`.
 6. Names: a predicted key counts for a ground-truth name when it equals it exactly, or, if
    the key contains "_", when both are equal with every "_" removed; case and spaces count
    ("Chair" is not "chair", "door 0" is not "door_0", "arm_chair" is "armchair"). When two
    keys land on the same name the later one in the reply wins, even one without a readable
    position. ToS: `_preprocess_predicted._should_keep_key` and `_norm_map`. (ToS then turns
    "_" into " " because its ground truth spells "red door"; spacelab's spells "door_0", so
    the matched ground-truth name is kept as it is.)

Scoring (`score_map_tos`):
 7. What has been seen: the ground truth is cut to the seen names plus "agent"; predicted
    keys are matched against seen names, all doors and "agent". ToS: cognitive_map_manager.py,
    `_build_gt_global_baseroom`, `evaluate_cogmap_type` (keep = observed | gates | agent).
 8. Scale L: fixed once per episode from all room objects (no doors, no agent) in the start
    frame, L = sqrt(mean |p|^2), 1.0 when there are none or L = 0, and used for every map of
    the episode (global, seen, local, consistency). ToS: `_ensure_pos_norm_L`; one manager per
    episode in utils/cog_utils.py, `evaluate_cognitive_maps_from_turnlogs`.
 9. pos = (K/N) * exp(-RMSE/L) over the N ground-truth entries (agent and doors included),
    K of them predicted: N = 0 -> 1.0; K = 0 -> 0.0; L given as 0 -> L = RMS of the matched
    true positions; L < 0 -> 0.0; with allow_scale the prediction is first scaled by the
    least-squares factor (ToS's default is off). ToS_Base: utils/cogmap/metrics.py,
    `compute_pos_sim`.
10. dir: the ground-truth names plus a virtual "initial" at (0, 0) in both maps, sorted by
    name; for each pair (a, b) the bearing of a - b, clockwise from +y, in 8 cardinal bins of
    45 deg, north = [-22.5, 22.5) on the raw float bearing (no rounding, no slack); when both
    |dx| and |dy| are < 1e-6 the bearing is 0 deg, i.e. north; a pair with a missing
    prediction is wrong; fewer than two names -> 1.0. ToS_Base: metrics.py, `compute_dir_sim`;
    core/relationship.py, `DegreeRel.from_positions`, `_CardinalBinsBase.bin`,
    `PairwiseRelationshipDiscrete.relationship`.
11. facing: share of ground-truth entries that have a facing and no "door" in their name
    (lower-cased) whose prediction has the same facing; none -> 1.0. ToS_Base: metrics.py,
    `compute_facing_sim`.
12. overall = (pos + dir + facing) / 3. ToS_Base: metrics.py, `compute_overall`.
13. An unreadable reply is not scored as an empty map: its metrics are invalid (zeros,
    valid = False) and left out of every average. ToS_Base: utils/cogmap/types.py,
    `MapCogMetrics.invalid`, `MapCogMetrics.average`; `evaluate_cogmap_type`.
14. Self-tracking is the same score against the ground truth cut to {"agent"} (`seen=[]`).
    ToS: `_build_gt_global_agent_baseroom`, `_eval_global` (metric_agent).
15. Local-global consistency (`consistency_tos`): the predicted global map is moved into the
    predicted agent's frame (positions only, facings stay absolute; no facing -> as north),
    then scored against the local map on the names both hold, with the episode's L; no local
    entries -> all 1.0; none in common -> all 0.0; no "agent" in the global map -> invalid
    (None). ToS_Base: utils/cogmap/consistency.py, `local_vs_global_consistency`,
    `compare_on_common_subset`; utils/cogmap/transforms.py, `transform_baseroom`.
16. Egocentric bins (`ego_direction_bin_tos`, `distance_bin_tos`): open intervals with a 1e-3
    deg slack at 0, +-22.5 and +-45 deg (front is |a| < 1e-3; a value exactly on a node falls
    to beyond-fov), distances with a 1e-6 slack and no bin past 64 m. The allocentric bins of
    rule 10 have no slack. ToS_Base: core/relationship.py, `EgoFrontBins.bin`,
    `StandardDistanceBins.bin`.

Where ToS would raise or produce NaN this module does not (it never raises on any input):
numbers go through `perception.cogmap.number` (a non-numeric string, a boolean, NaN, +-inf or
a coordinate beyond 1e6 makes the position unreadable, where ToS raises ValueError, reads
true as 1.0 or lets NaN through to the scores); a reply that is neither text nor a dict, over
1 MB, or nested too deeply is an extraction failure; distances ToS cannot bin give None.

Example:
    >>> gt = CognitiveMap.from_dict({"agent": {"position": [0, 0], "facing": "north"}, "chair": [0, 2]})
    >>> score('{"agent": {"position": [0, 1], "facing": "north"}, "chair": {"position": [0, 2]}}', gt)["dir"]
    1.0
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Iterable, Iterator

from perception.belief import is_door, score_map
from perception.cogmap import CognitiveMap, Entry, number, parse_map, reply_problem

PROFILES = ("tos", "spacelab")
ORIGIN_NAME = "initial"  # ToS's virtual origin in the direction score
CARDINALS = ("north", "east", "south", "west")  # clockwise
METRICS = ("pos", "dir", "facing", "overall")

_GLOBAL_FACING_WORDS = {
    "north": "north", "n": "north", "south": "south", "s": "south",
    "east": "east", "e": "east", "west": "west", "w": "west",
    "+y": "north", "-y": "south", "+x": "east", "-x": "west",
    "forward": "north", "front": "north", "ahead": "north",
    "back": "south", "backward": "south", "behind": "south",
    "right": "east", "left": "west",
}
_LOCAL_AXES = {"+y": 0, "+x": 1, "-y": 2, "-x": 3}  # quarter turns clockwise from the agent's facing
FENCED_PATTERN = r"```(?:json)?\s*(\{.*?\})\s*```"  # ToS's (flags: DOTALL, IGNORECASE); see _fenced_blocks
_JSON_TAG = re.compile("json", re.IGNORECASE)
_BRACES = re.compile(r"[{}]")

EGO_EPS = 1e-3
_EGO_BINS = (  # open intervals (lo, hi); a value on a node matches none and is beyond-fov
    (-180.0, -45.0 - EGO_EPS, "beyond-fov"),
    (-45.0 - EGO_EPS, -22.5 - EGO_EPS, "front-left"),
    (-22.5 - EGO_EPS, -EGO_EPS, "front-slight-left"),
    (-EGO_EPS, EGO_EPS, "front"),
    (EGO_EPS, 22.5 + EGO_EPS, "front-slight-right"),
    (22.5 + EGO_EPS, 45.0 + EGO_EPS, "front-right"),
    (45.0 + EGO_EPS, 180.0 + EGO_EPS, "beyond-fov"),
)
DIST_EPS = 1e-6
_DIST_BINS = tuple(zip(
    (-DIST_EPS, DIST_EPS, 2.0 + DIST_EPS, 4.0 + DIST_EPS, 8.0 + DIST_EPS, 16.0 + DIST_EPS, 32.0 + DIST_EPS),
    (DIST_EPS, 2.0 + DIST_EPS, 4.0 + DIST_EPS, 8.0 + DIST_EPS, 16.0 + DIST_EPS, 32.0 + DIST_EPS, 64.0 + DIST_EPS),
    ("same distance", "near", "mid distance", "slightly far", "far", "very far", "extremely far"),
))


# -- parsing (rules 1-6) ----------------------------------------------------------


def extract_json_tos(reply) -> tuple[dict | None, str | None]:
    """(object, error) by ToS's rule 1; a dict is taken as already extracted."""
    if isinstance(reply, dict):
        return reply, None
    problem = reply_problem(reply)
    if problem:
        return None, problem
    candidates = _fenced_blocks(reply)
    depth, start = 0, 0
    for m in _BRACES.finditer(reply):
        if m.group() == "{":
            if depth == 0:
                start = m.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                candidates.append(reply[start:m.end()])
    candidates.sort(key=len, reverse=True)  # stable: fenced blocks first among equals
    for c in candidates:
        try:
            obj = json.loads(c)
        except (ValueError, RecursionError):
            continue
        if isinstance(obj, dict):
            return obj, None
    return None, "no JSON object found in probe reply"


def _fenced_blocks(text: str) -> list[str]:
    """What ToS's fenced-block pattern finds (```json? ws {...} ws ```, the {...} as short as
    possible, matches not overlapping), in linear time: the regex itself can take quadratic
    time on a long reply full of unclosed fences."""
    if "```" not in text or "}" not in text:
        return []
    # closers: every "}" that is followed by optional whitespace and ```, in order
    closers, i = [], text.find("}")
    while i != -1:
        j = i + 1
        while j < len(text) and text[j].isspace():
            j += 1
        if text.startswith("```", j):
            closers.append((i, j + 3))
        i = text.find("}", i + 1)
    out, p = [], text.find("```")
    while p != -1 and closers:
        q = p + 3
        if _JSON_TAG.match(text, q):
            q += 4
        while q < len(text) and text[q].isspace():
            q += 1
        if q < len(text) and text[q] == "{":
            k = bisect.bisect_right(closers, (q, len(text) + 1))  # first closer after the "{"
            if k < len(closers):
                brace, end = closers[k]
                out.append(text[q:brace + 1])
                p = text.find("```", end)
                continue
        p = text.find("```", p + 1)
    return out


def _flatten(obj: dict) -> dict:
    """Rule 2: {"objects": [...], "gates": [...]} -> {name: entry}; other maps unchanged."""
    if "objects" not in obj and "gates" not in obj:
        return obj
    flat = {k: v for k, v in obj.items() if k not in ("objects", "gates") and isinstance(v, dict)}

    def emit(name: str, info: dict) -> None:
        pos = info.get("position") or info.get("pos") or info.get("xy")
        if name and pos is not None:
            out = {"position": pos}
            if "facing" in info:
                out["facing"] = info["facing"]
            flat[name] = out

    for section in (obj.get("objects"), obj.get("gates")):
        if isinstance(section, list):
            for item in section:
                if isinstance(item, dict):
                    label = item.get("label") or item.get("name") or item.get("id") or item.get("type") or ""
                    emit(str(label).strip(), item)
        elif isinstance(section, dict):
            for name, info in section.items():
                if isinstance(info, dict):
                    emit(str(name), info)
    return flat or obj


def _position(raw) -> tuple[float, float] | None:
    if not isinstance(raw, list) or len(raw) != 2:
        return None
    x, y = number(raw[0]), number(raw[1])
    return None if x is None or y is None else (x, y)


def facing_tos(value, kind: str = "global", agent_facing: str = "north") -> str | None:
    """Rules 4 and 5: a reported facing as ToS reads it (None: no facing)."""
    if not isinstance(value, str):
        return None
    s = value.strip().lower()
    if kind == "local":
        if agent_facing in CARDINALS and s in _LOCAL_AXES:
            s = CARDINALS[(CARDINALS.index(agent_facing) + _LOCAL_AXES[s]) % 4]
    else:
        s = _GLOBAL_FACING_WORDS.get(s, s)
    return s if s in CARDINALS else "north"


def parse_map_tos(reply, kind: str = "global", agent_facing: str = "north") -> tuple[CognitiveMap, str | None]:
    """(map, error) by ToS's rules 1-5; never raises. Keys are kept as written (rule 6 is
    applied when scoring, against the ground truth's names); an entry without a readable
    position is kept with position None, since it still takes its name in rule 6. `kind` is
    "global" or "local"; `agent_facing` (the agent's true facing) matters for local maps only."""
    if isinstance(reply, CognitiveMap):
        return reply, None
    obj, err = extract_json_tos(reply)
    if obj is None:
        return CognitiveMap(), err
    obj = _flatten(obj)
    if kind == "local" and "objects" in obj:
        obj = obj["objects"]
        if not isinstance(obj, dict):  # ToS raises here (a list has no .items())
            return CognitiveMap(), 'ToS cannot read a local map whose "objects" is not a map'
    m = CognitiveMap()
    for name, info in obj.items():
        if isinstance(info, dict):
            m.entries[str(name)] = Entry(_position(info.get("position")), facing_tos(info.get("facing"), kind, agent_facing))
    return m, None


def resolve_names(pred: CognitiveMap, names: Iterable[str]) -> CognitiveMap:
    """Rule 6: `pred` keyed by the ground-truth names its keys count for; keys that count
    for none are dropped (a key that could count for several takes the first, sorted)."""
    return CognitiveMap(_resolve(pred, names), pred.rooms, pred.doors)


def _resolve(pred: CognitiveMap, names: Iterable[str]) -> dict[str, Entry]:
    """Rule 6: predicted entries under the ground-truth names they count for (later keys win)."""
    names = set(names)
    bare: dict[str, str] = {}
    for n in sorted(names):
        bare.setdefault(n.replace("_", ""), n)
    out: dict[str, Entry] = {}
    for key, e in pred.entries.items():
        target = key if key in names else (bare.get(key.replace("_", "")) if "_" in key else None)
        if target is not None:
            out[target] = e
    return out


# -- bins (rules 10 and 16) ---------------------------------------------------------


def bearing_tos(dx: float, dy: float) -> float:
    """Bearing of (dx, dy) in degrees, clockwise from +y; 0 when |dx| and |dy| are < 1e-6."""
    if abs(dx) < 1e-6 and abs(dy) < 1e-6:
        return 0.0
    ax, ay = 0.0, 1.0  # the reference direction, +y
    return -math.degrees(math.atan2(ax * dy - ay * dx, ax * dx + ay * dy))


def cardinal_bin_tos(degree: float) -> int:
    """8 allocentric bins of 45 deg, 0 = north [-22.5, 22.5), 1 = north-east, ... (no slack)."""
    w = (degree + 360.0) % 360.0
    return int(((w + 22.5) // 45.0) % 8)


def ego_direction_bin_tos(degree: float) -> str:
    """ToS's egocentric bin (open intervals, 1e-3 deg slack at 0, +-22.5, +-45)."""
    v = float(degree)
    for lo, hi, label in _EGO_BINS:
        if lo < v < hi:
            return label
    return "beyond-fov"


def distance_bin_tos(d: float) -> str | None:
    """ToS's distance bin (open intervals, 1e-6 slack); None where ToS raises (a value on a
    bin edge, or beyond 64 m)."""
    v = float(d)
    return next((label for lo, hi, label in _DIST_BINS if lo < v < hi), None)


# -- scoring (rules 7-15) ---------------------------------------------------------


def episode_scale(gt: CognitiveMap) -> float:
    """Rule 8: ToS's L from the full ground truth (all objects, no doors, no agent)."""
    pts = [e.position for n, e in gt.entries.items() if n != "agent" and not is_door(n) and e.position is not None]
    if not pts:
        return 1.0
    L = math.sqrt(sum(x * x + y * y for x, y in pts) / len(pts))
    return L if L > 0 else 1.0


def invalid_scores(error: str | None = None) -> dict:
    """Rule 13: the metrics of a reply ToS could not read."""
    out = {"pos": 0.0, "dir": 0.0, "facing": 0.0, "overall": 0.0, "valid": False}
    if error:
        out["error"] = error
    return out


def score_map_tos(pred: CognitiveMap, gt: CognitiveMap, scale: float | None = None, *,
                  names: Iterable[str] | None = None, allow_scale: bool = False) -> dict:
    """pos, dir, facing, overall (plus K, N, rmse, L, valid) of `pred` against `gt` by ToS's
    rules 6 and 9-12. `scale` is the episode's L (`episode_scale` of the full ground truth;
    None: computed from `gt`, right only when `gt` is that full map). `names`: the names
    predicted keys may take (rule 6/7; default: those of `gt`)."""
    gt_pos = {n: e.position for n, e in gt.entries.items() if e.position is not None}
    resolved = _resolve(pred, gt_pos if names is None else names)
    pred_pos = {n: e.position for n, e in resolved.items() if e.position is not None}
    L_ep = episode_scale(gt) if scale is None else scale
    pos, rmse, L, k = _pos(pred_pos, gt_pos, L_ep, allow_scale)
    direction = _dir(pred_pos, gt_pos)
    faced = [n for n, e in gt.entries.items() if n in gt_pos and e.facing is not None and "door" not in n.lower()]
    hits = sum(1 for n in faced if n in resolved and resolved[n].position is not None and resolved[n].facing == gt.entries[n].facing)
    facing = hits / len(faced) if faced else 1.0
    return {"pos": pos, "dir": direction, "facing": facing, "overall": (pos + direction + facing) / 3.0,
            "K": k, "N": len(gt_pos), "rmse": rmse, "L": L, "valid": True}


def _pos(pred_pos: dict, gt_pos: dict, scale: float, allow_scale: bool):
    matched = [n for n in sorted(gt_pos) if n in pred_pos]
    if not gt_pos:
        return 1.0, None, scale, 0
    if not matched:
        return 0.0, None, scale, 0
    P = [pred_pos[n] for n in matched]
    G = [gt_pos[n] for n in matched]
    f = 1.0
    if allow_scale:
        den = sum(x * x + y * y for x, y in P)
        if den == 0.0:
            return 0.0, None, scale, len(matched)
        f = sum(px * gx + py * gy for (px, py), (gx, gy) in zip(P, G)) / den
    rmse = math.sqrt(sum((px * f - gx) ** 2 + (py * f - gy) ** 2 for (px, py), (gx, gy) in zip(P, G)) / len(P))
    L = scale if scale else math.sqrt(sum(x * x + y * y for x, y in G) / len(G))  # ToS: `pos_norm_L or <RMS>`
    base = math.exp(-rmse / L) if L > 0 else 0.0  # NaN or L <= 0: 0.0
    return base * len(matched) / len(gt_pos), rmse, L, len(matched)


def _dir(pred_pos: dict, gt_pos: dict) -> float:
    gt_pts = {**gt_pos, ORIGIN_NAME: (0.0, 0.0)}
    pred_pts = {**pred_pos, ORIGIN_NAME: (0.0, 0.0)}
    names = sorted(gt_pts)
    n = len(names)
    if n < 2:
        return 1.0
    G = [gt_pts[k] for k in names]
    P = [pred_pts.get(k) for k in names]
    good = 0
    for i in range(n):
        pa, ga = P[i], G[i]
        if pa is None:
            continue
        for j in range(i + 1, n):
            pb = P[j]
            if pb is None:
                continue
            gb = G[j]
            good += (cardinal_bin_tos(bearing_tos(pa[0] - pb[0], pa[1] - pb[1]))
                     == cardinal_bin_tos(bearing_tos(ga[0] - gb[0], ga[1] - gb[1])))
    return good / (n * (n - 1) // 2)


_TURN = {  # world offset -> the frame of an agent facing this way (+y ahead, +x right)
    "north": lambda x, y: (x, y), "east": lambda x, y: (-y, x),
    "south": lambda x, y: (-x, -y), "west": lambda x, y: (y, -x),
}


def consistency_tos(local: CognitiveMap, glob: CognitiveMap, scale: float) -> dict | None:
    """Rule 15: the local map against the global one moved into the believed agent's frame;
    None where ToS marks it invalid (no "agent" in the global map). Both maps are keyed by
    ground-truth names (see `resolve_names`); `scale` is the episode's L."""
    me = glob.entries.get("agent")
    if me is None or me.position is None:
        return None
    turn = _TURN.get(me.facing or "north", _TURN["north"])
    ax, ay = me.position
    moved = CognitiveMap({n: Entry(turn(e.position[0] - ax, e.position[1] - ay), e.facing)
                          for n, e in glob.entries.items() if e.position is not None})
    local_names = {n for n, e in local.entries.items() if e.position is not None}
    if not local_names:
        return {"pos": 1.0, "dir": 1.0, "facing": 1.0, "overall": 1.0, "valid": True}
    common = local_names & set(moved.entries)
    if not common:
        return {"pos": 0.0, "dir": 0.0, "facing": 0.0, "overall": 0.0, "valid": True}
    s = score_map_tos(local.restricted(common), moved.restricted(common), scale)
    return {k: s[k] for k in (*METRICS, "valid")}


def score(pred, gt, profile: str = "tos", seen: Iterable[str] | None = None, scale: float | None = None) -> dict:
    """Scores (at least pos, dir, facing, overall) of a predicted map against the ground truth.

    pred: CognitiveMap, dict or reply text; gt: CognitiveMap or dict (the full ground truth);
    seen: names seen so far (the ground truth is cut to them plus "agent"); scale: ToS's
    episode L (default: from the full `gt`; the spacelab profile recomputes L from the map it
    scores and ignores it). An unreadable reply: tos -> invalid zeros with "valid": False
    (rule 13); spacelab -> scored as an empty map. Either way "error" says why."""
    if profile not in PROFILES:
        raise ValueError(f"unknown scoring profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    if not isinstance(gt, CognitiveMap):
        gt = CognitiveMap.from_dict(gt if isinstance(gt, dict) else {})
    keep = None if seen is None else set(seen) | {"agent"}
    if profile == "spacelab":
        m, err = parse_map(pred)
        out = score_map(m, gt if keep is None else gt.restricted(keep))
        return {**out, "error": err} if err else out
    m, err = parse_map_tos(pred)
    if err:
        return invalid_scores(err)
    L = episode_scale(gt) if scale is None else scale
    if keep is None:
        return score_map_tos(m, gt, L)
    names = keep | {n for n in gt.entries if is_door(n)}
    return score_map_tos(m, gt.restricted(keep), L, names=names)


def score_pair_line(line: str, n: int, profile: str = "tos", seen: Iterable[str] | None = None) -> dict:
    """One line of a pairs file -> its scores (rounded to 6 places), or {"line": n, "error": ...}.

    A line is {"pred": <map or reply text>, "gt": <map, or `spacelab scene` output>,
    "seen": [names] (optional; default `seen`)}. A reply that cannot be read is not a bad
    line: it is scored by the profile's rule and carries "parse_error"."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as e:
        return {"line": n, "error": f"not valid JSON ({type(e).__name__}: {str(e)[:120]})"}
    if not isinstance(obj, dict) or "pred" not in obj or "gt" not in obj:
        return {"line": n, "error": 'expected an object with "pred" and "gt"'}
    gt = obj["gt"]
    if isinstance(gt, dict) and isinstance(gt.get("ground_truth"), dict):
        gt = gt["ground_truth"]
    if not isinstance(gt, dict):
        return {"line": n, "error": f'"gt" must be a map (an object), not {type(gt).__name__}'}
    pred = obj["pred"]
    if not isinstance(pred, (dict, str)):
        return {"line": n, "error": f'"pred" must be a map or reply text, not {type(pred).__name__}'}
    line_seen = obj.get("seen", seen)
    if line_seen is not None and (not isinstance(line_seen, list) or not all(isinstance(s, str) for s in line_seen)):
        return {"line": n, "error": '"seen" must be a list of names'}
    try:
        s = score(pred, gt, profile, seen=line_seen)
    except Exception as e:  # a line that breaks scoring is reported in its place, not fatal
        return {"line": n, "error": f"{type(e).__name__}: {str(e)[:200]}"}
    out = {k: round(s[k], 6) for k in METRICS}
    if s.get("error"):
        out["parse_error"] = s["error"][:200]
    if s.get("valid") is False:
        out["valid"] = False
    return out


def score_pairs(lines: Iterable[str], profile: str = "tos", seen: Iterable[str] | None = None) -> Iterator[dict]:
    """`score_pair_line` over the lines of a pairs file, in order (line numbers from 1)."""
    seen = None if seen is None else list(seen)
    for n, line in enumerate(lines, 1):
        yield score_pair_line(line, n, profile, seen)
