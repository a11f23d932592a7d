"""The learned part of the extractor: per field family, gradient-boosted trees (trained with LightGBM by
ocr.fields.training) that score each candidate from its named features, and a calibration that turns the
winner's lead into the chance it is right.

The trees are stored as plain arrays in a JSON file (ocr/models/fields.json) and evaluated here with numpy, so a
worker neither imports LightGBM (seconds) nor depends on it: LightGBM is needed only to train.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ocr.fields.candidates import Candidate

MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "fields.json"
FORMAT = 1


@dataclass(frozen=True)
class Trees:
    """An ensemble of binary trees as arrays, one row per tree, padded to the largest tree. Children >= 0 are
    nodes, < 0 are leaves (~child). A feature that is NaN goes the tree's default way."""

    feature: np.ndarray  # (trees, nodes) int
    threshold: np.ndarray  # (trees, nodes) float
    default_left: np.ndarray  # (trees, nodes) bool
    nan_is_zero: np.ndarray  # (trees, nodes) bool: LightGBM's missing_type None (NaN compared as 0)
    left: np.ndarray  # (trees, nodes) int
    right: np.ndarray  # (trees, nodes) int
    leaf: np.ndarray  # (trees, leaves) float

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Sum of the trees' leaves for each row of `features` (candidates x features)."""
        rows, (trees, nodes) = features.shape[0], self.feature.shape
        if rows == 0:
            return np.zeros(0)
        first = np.broadcast_to(np.arange(trees) * nodes, (rows, trees))  # every (candidate, tree) at its root
        at = first.copy()
        leaf = np.zeros((rows, trees), dtype=np.int64)
        pending = np.ones((rows, trees), dtype=bool)
        flat = features.ravel()
        row_start = (np.arange(rows) * features.shape[1])[:, None]
        feature, threshold = self.feature.ravel(), self.threshold.ravel()
        default_left, nan_is_zero = self.default_left.ravel(), self.nan_is_zero.ravel()
        left, right = self.left.ravel(), self.right.ravel()
        while pending.any():
            value = flat[row_start + feature[at]]
            missing = np.isnan(value)
            compared = np.where(missing, 0.0, value) <= threshold[at]
            go_left = np.where(missing & ~nan_is_zero[at], default_left[at], compared)
            child = np.where(go_left, left[at], right[at])
            reached = pending & (child < 0)
            leaf[reached] = ~child[reached]
            pending &= child >= 0
            at = np.where(pending, first + np.maximum(child, 0), at)
        return self.leaf[np.arange(trees)[None, :], leaf].sum(axis=1)

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name).tolist() for name in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trees:
        types = {"feature": np.int64, "left": np.int64, "right": np.int64, "default_left": bool, "nan_is_zero": bool}
        return cls(**{name: np.asarray(data[name], dtype=types.get(name, np.float64))
                      for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class FamilyModel:
    """The scorer of one field's candidates, and how its scores become a confidence."""

    features: tuple[str, ...]
    trees: Trees
    # confidence = sigmoid(a * (best - second best distinct value's score) + b * best + c), fitted out of fold
    calibration: tuple[float, float, float]

    def matrix(self, candidates: Sequence[Candidate]) -> np.ndarray:
        return np.array([[c.features.get(name, math.nan) for name in self.features] for c in candidates],
                        dtype=np.float64).reshape(len(candidates), len(self.features))

    def rank(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """The candidates best first, each with its score; the first with the confidence that it is right."""
        if not candidates:
            return []
        scores = self.trees.predict(self.matrix(candidates))
        scored = (replace(c, score=float(s)) for c, s in zip(candidates, scores, strict=True))
        ranked = sorted(scored, key=lambda c: -c.score)
        return [replace(ranked[0], confidence=self.confidence(ranked)), *ranked[1:]]

    def confidence(self, ranked: Sequence[Candidate]) -> float:
        best = ranked[0]
        rival = next((c.score for c in ranked[1:] if c.value != best.value), best.score - 10.0)
        a, b, c = self.calibration
        return 1 / (1 + math.exp(-(a * (best.score - rival) + b * best.score + c)))

    def as_json(self) -> dict[str, Any]:
        return {"features": list(self.features), "trees": self.trees.as_json(), "calibration": list(self.calibration)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FamilyModel:
        return cls(tuple(data["features"]), Trees.from_json(data["trees"]), tuple(data["calibration"]))


@dataclass(frozen=True)
class Ranker:
    families: dict[str, FamilyModel]
    card: dict[str, Any]  # how it was trained: command, seed, receipts, split, figures

    def rank(self, field: str, candidates: Sequence[Candidate]) -> list[Candidate]:
        return self.families[field].rank(candidates) if field in self.families else list(candidates)

    def save(self, path: Path) -> None:
        data = {"format": FORMAT, "card": self.card,
                "families": {name: model.as_json() for name, model in self.families.items()}}
        Path(path).write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Ranker:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"{path} is a model file of format {data.get('format')}, this DocDesk reads {FORMAT}: "
                             "retrain it with `cli.py train`.")
        return cls({name: FamilyModel.from_json(model) for name, model in data["families"].items()}, data["card"])


@functools.cache
def shipped_ranker(path: Path = MODEL_PATH) -> Ranker:
    """The model file that ships with DocDesk, read once per process."""
    return Ranker.load(path)
