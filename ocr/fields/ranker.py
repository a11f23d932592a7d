"""The learned part of the extractor: per field family, gradient-boosted trees (trained with LightGBM by
ocr.fields.training) that score each candidate from its named features, and a calibration that turns how the
ranking went (the winner's lead, its own features) into the chance it is right.

The trees are stored as plain arrays in a JSON file (ocr/models/fields.json) and evaluated here with numpy, so a
worker neither imports LightGBM (seconds) nor depends on it: LightGBM is needed only to train.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from rapidfuzz.distance import Indel

from ocr.fields.candidates import Candidate

MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "fields.json"
FORMAT = 2
# Signals of a whole ranking (ranking_signals) every calibration uses besides the winner's own features; a field's
# calibration may add "ranking_value_share" (ocr.fields.training.CALIBRATION_SIGNALS)
RANKING_SIGNALS = ("ranking_lead", "ranking_score", "ranking_values", "ranking_same_value", "ranking_rival_alike")
NO_RIVAL_LEAD = 10.0  # the lead of a winner no other value competes with
SURE_SHARE = 1e-9  # the least share left to the other values: a winner alone gets log-odds ~20.7, not infinity


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
    _walk: _Walk = field(init=False, repr=False, compare=False)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Sum of the trees' leaves for each row of `features` (candidates x features)."""
        rows = features.shape[0]
        if rows == 0:
            return np.zeros(0)
        walk = self._walk
        at = np.broadcast_to(walk.roots, (rows, walk.roots.size))  # every (candidate, tree) at its root
        flat = features.ravel()
        row_start = (np.arange(rows) * features.shape[1])[:, None]
        for _ in range(walk.depth):  # a leaf leads to itself, so every walk may take the deepest tree's steps
            value = flat[row_start + walk.feature[at]]
            go_left = (value <= walk.threshold[at]) | (walk.missing_left[at] & np.isnan(value))
            at = np.where(go_left, walk.left[at], walk.right[at])
        return walk.leaf_value[at].sum(axis=1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_walk", _Walk.of(self))  # laid out once, when the model is loaded

    @classmethod
    def arrays(cls) -> tuple[str, ...]:
        """The fields that make the trees (the walk is made from them)."""
        return tuple(f.name for f in fields(cls) if f.init)

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name).tolist() for name in self.arrays()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trees:
        types = {"feature": np.int64, "left": np.int64, "right": np.int64, "default_left": bool, "nan_is_zero": bool}
        return cls(**{name: np.asarray(data[name], dtype=types.get(name, np.float64))
                      for name in cls.arrays()})


@dataclass(frozen=True)
class _Walk:
    """Trees laid out for predicting many rows at once: the internal nodes and then the leaves of each tree in one
    flat array of nodes, a leaf leading to itself either way. A NaN goes left where `missing_left` (LightGBM's
    default way, or the way 0 goes when its missing_type is None)."""

    roots: np.ndarray  # (trees,) each tree's first node
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf_value: np.ndarray  # 0 at internal nodes
    depth: int  # the most steps from a root to a leaf

    @classmethod
    def of(cls, trees: Trees) -> _Walk:
        count, nodes = trees.feature.shape
        leaves = trees.leaf.shape[1]
        width = nodes + leaves
        base = (np.arange(count) * width)[:, None]
        at_leaf = base + nodes + np.arange(leaves)[None, :]

        def node(child: np.ndarray) -> np.ndarray:  # a child index as a flat node: >= 0 a node, < 0 leaf ~child
            return np.where(child >= 0, base + child, base + nodes + ~child)

        missing_left = np.where(trees.nan_is_zero, 0.0 <= trees.threshold, trees.default_left)
        return cls(roots=base[:, 0],
                   feature=np.hstack([trees.feature, np.zeros((count, leaves), dtype=np.int64)]).ravel(),
                   threshold=np.hstack([trees.threshold, np.full((count, leaves), np.inf)]).ravel(),
                   missing_left=np.hstack([missing_left, np.ones((count, leaves), dtype=bool)]).ravel(),
                   left=np.hstack([node(trees.left), at_leaf]).ravel(),
                   right=np.hstack([node(trees.right), at_leaf]).ravel(),
                   leaf_value=np.hstack([np.zeros((count, nodes)), trees.leaf]).ravel(),
                   depth=max((_depth(trees, t, 0) for t in range(count)), default=0))


def _depth(trees: Trees, tree: int, node: int) -> int:
    """Steps from `node` of `tree` to its deepest leaf."""
    return 1 + max(_depth(trees, tree, child) if child >= 0 else 0
                   for child in (int(trees.left[tree, node]), int(trees.right[tree, node])))


def ranking_signals(ranked: Sequence[Candidate]) -> dict[str, float]:
    """How a ranking (best first) went: the winner's lead over the best other value, its score, how many distinct
    values competed, how many candidates read the winner's value, how alike the runner-up's text is (the same
    words read otherwise: which reading is right is in doubt), and the winner's value's share of all the scores."""
    best = ranked[0]
    rival = next((c for c in ranked[1:] if c.value != best.value), None)
    return {"ranking_lead": best.score - rival.score if rival else NO_RIVAL_LEAD, "ranking_score": best.score,
            "ranking_values": float(len({c.value for c in ranked})),
            "ranking_same_value": float(sum(c.value == best.value for c in ranked)),
            "ranking_rival_alike": Indel.normalized_similarity(best.value, rival.value) if rival else 0.0,
            "ranking_value_share": value_share(ranked)}


def value_share(ranked: Sequence[Candidate]) -> float:
    """The log-odds of the winner's value under a softmax of the scores, summed over every candidate reading that
    value: unlike the lead, it counts how many close rivals there are and how many candidates back the winner."""
    scores = np.array([c.score for c in ranked])
    weights = np.exp(scores - scores.max())
    share = float(weights[[c.value == ranked[0].value for c in ranked]].sum() / weights.sum())
    return math.log(share / max(1 - share, SURE_SHARE))


@dataclass(frozen=True)
class Calibration:
    """The chance the winner is right: sigmoid(weights . standardised signals + bias), a logistic regression
    fitted out of fold (ocr.fields.training). A signal is one of ranking_signals' or a feature of the winner; a
    missing one counts as its mean."""

    signals: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, ranked: Sequence[Candidate]) -> float:
        standard = (signal_matrix([ranked], self.signals)[0] - np.array(self.mean)) / np.array(self.scale)
        logit = float(np.nan_to_num(standard) @ np.array(self.weights)) + self.bias
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, logit))))

    def as_json(self) -> dict[str, Any]:
        return {name: list(value) if isinstance(value, tuple) else value
                for name, value in vars(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        return cls(tuple(data["signals"]), tuple(data["mean"]), tuple(data["scale"]), tuple(data["weights"]),
                   float(data["bias"]))


UNCALIBRATED = Calibration((), (), (), (), 0.0)  # for a model that only ranks (an inner fold's)


def signal_matrix(rankings: Sequence[Sequence[Candidate]], signals: Sequence[str]) -> np.ndarray:
    """One row per ranking (best first): the named signals, NaN where a feature is missing."""
    rows = []
    for ranked in rankings:
        known = {**ranked[0].features, **ranking_signals(ranked)}
        rows.append([known.get(name, math.nan) for name in signals])
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(signals))


@dataclass(frozen=True)
class FamilyModel:
    """The scorer of one field's candidates, and how its ranking becomes a confidence."""

    features: tuple[str, ...]
    trees: Trees
    calibration: Calibration

    def matrix(self, candidates: Sequence[Candidate]) -> np.ndarray:
        missing = [math.nan] * len(self.features)
        return np.array([list(map(c.features.get, self.features, missing)) for c in candidates],
                        dtype=np.float64).reshape(len(candidates), len(self.features))

    def scored(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """The candidates best first, each with its score."""
        scores = self.trees.predict(self.matrix(candidates))
        return sorted((replace(c, score=float(s)) for c, s in zip(candidates, scores, strict=True)),
                      key=lambda c: -c.score)

    def rank(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """The candidates best first, each with its score; the first with the confidence that it is right."""
        ranked = self.scored(candidates)
        if not ranked:
            return []
        return [replace(ranked[0], confidence=self.calibration.probability(ranked)), *ranked[1:]]

    def as_json(self) -> dict[str, Any]:
        return {"features": list(self.features), "trees": self.trees.as_json(),
                "calibration": self.calibration.as_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FamilyModel:
        return cls(tuple(data["features"]), Trees.from_json(data["trees"]), Calibration.from_json(data["calibration"]))


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
