"""The fixed, seeded calibration/test split of the eval set (committed as ``evals/split.json``).

Ids are sorted, then shuffled with ``random.Random(SEED)`` within each stratum (category x answerable), and the
first ``CALIBRATION_FRACTION`` of each stratum (rounded) goes to calibration, the rest to test. Thresholds are
calibrated on the calibration split; the report's figures come from the test split.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from pathlib import Path

from evals.dataset import EvalItem

SPLIT_FILE = Path(__file__).resolve().parent / "split.json"
SEED = 13
CALIBRATION_FRACTION = 0.4
SPLITS = ("test", "calibration", "all")


def stratum(item: EvalItem) -> str:
    return f"{item.category}/{'answerable' if item.answerable else 'unanswerable'}"


def dataset_digest(items: Sequence[EvalItem]) -> str:
    """Hash of the ids and strata: a split is valid for a dataset with the same digest."""
    return hashlib.sha256(json.dumps(sorted((i.id, stratum(i)) for i in items)).encode()).hexdigest()[:16]


def make_split(items: Sequence[EvalItem], seed: int = SEED, fraction: float = CALIBRATION_FRACTION) -> dict:
    """The split of ``items``: ``{"calibration": [ids], "test": [ids], ...}`` (deterministic)."""
    rng = random.Random(seed)
    groups: dict[str, list[str]] = {}
    for item in items:
        groups.setdefault(stratum(item), []).append(item.id)
    calibration, test = [], []
    for key in sorted(groups):
        ids = sorted(groups[key])
        rng.shuffle(ids)
        cut = round(len(ids) * fraction)
        calibration += ids[:cut]
        test += ids[cut:]
    return {
        "seed": seed, "calibration_fraction": fraction, "stratified_by": "category x answerable",
        "dataset_digest": dataset_digest(items), "calibration": sorted(calibration), "test": sorted(test),
    }


def write_split(split: dict, path: Path = SPLIT_FILE) -> None:
    Path(path).write_text(json.dumps(split, indent=2) + "\n", encoding="utf-8")


def resolve_split(items: Sequence[EvalItem], path: Path = SPLIT_FILE) -> tuple[dict, str]:
    """The committed split when it was made for these items, else the same seeded split computed now;
    with where it came from."""
    if Path(path).exists():
        split = json.loads(Path(path).read_text(encoding="utf-8"))
        if split.get("dataset_digest") == dataset_digest(items):
            return split, str(path)
    return make_split(items), "computed (seeded; the committed split is for another dataset)"


def select(items: Sequence[EvalItem], name: str, split: dict) -> list[EvalItem]:
    """The items of split ``name`` (test, calibration or all), in dataset order."""
    if name == "all":
        return list(items)
    if name not in ("test", "calibration"):
        raise ValueError(f"unknown split {name!r} (test, calibration or all)")
    keep = set(split[name])
    return [it for it in items if it.id in keep]
