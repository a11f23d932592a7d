"""Training the ranker from labelled receipts (LightGBM, imported only here).

A labelled receipt is its reading (pages with both readings) and the values a person confirmed. Where they come
from is not this module's business: a labelled folder (ocr.labelled.folder_receipts) or, as well, approved
documents (a reviewer's correction is a label) — anything that yields `LabelledReceipt`s.

Each family's candidates get a relevance from the confirmed value (3 = the same value; names and addresses also
2 / 1 for nearly the same text, so that the closest span wins when none is exact), and a LambdaRank model learns to
put the most relevant first. The confidence calibration is fitted on rankings the model made of receipts it had not
been trained on (grouped inner folds), so that it says how often the winner is right on new receipts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein

from ocr.config import ExtractionConfig
from ocr.evaluate import field_correct
from ocr.fields.candidates import Candidate
from ocr.fields.document import Document
from ocr.fields.extract import candidates_of, document_of
from ocr.fields.memory import Remembered, remember, with_memory
from ocr.fields.ranker import RANKING_SIGNALS, UNCALIBRATED, Calibration, FamilyModel, Ranker, Trees, signal_matrix
from ocr.parse import letters_and_digits, normalize_text
from ocr.types import PageResult

LEARNED = ("vendor", "vendor_address", "date", "total")
TEXT_FIELDS = ("vendor", "vendor_address")
PARAMETERS = {"objective": "lambdarank", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 10,
              "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.8, "lambdarank_truncation_level": 10,
              "verbose": -1, "num_threads": 1, "deterministic": True, "force_row_wise": True}
ROUNDS = 200
CALIBRATION_FOLDS = 3
# What each field's confidence is learned from (ocr.fields.ranker.Calibration): how its ranking went, and those of
# the winner's features that say whether its reading or its arithmetic holds (docs/decisions/field-extraction.md)
READ = ("readings_agree", "ocr_conf_min", "second_conf", "from_second")
CALIBRATION_SIGNALS = {
    "vendor": (*RANKING_SIGNALS, "ranking_value_share", "readings_agree", "memory_vendor"),
    "vendor_address": (*RANKING_SIGNALS, *READ, "memory_address"),
    "date": (*RANKING_SIGNALS, *READ, "date_label"),
    "total": (*RANKING_SIGNALS, "readings_differ", "sum_agrees", "items_sum", "sum_of_above", "kind_total",
              "same_value_totals", "change_agrees"),
}
CALIBRATION_RIDGE = 3.0  # on standardised signals: 1 and 10 did no better out of fold


@dataclass(frozen=True)
class LabelledReceipt:
    """One receipt and the values a person confirmed for it (our field names; printed or normalized form)."""

    name: str  # for reports: the file or the document
    group: str  # the shop: folds never split one, so a validation shop is one the model never saw
    pages: tuple[PageResult, ...]
    truth: Mapping[str, str]


def shop_of(vendor: str) -> str:
    """The group key of a shop: its name's letters and digits (the keys space and punctuate one shop's name
    differently from receipt to receipt)."""
    return letters_and_digits(vendor)


def relevance(name: str, value: str, truth: str) -> int:
    if not truth.strip():
        return 0
    if field_correct(name, truth, value):
        return 3
    if name not in TEXT_FIELDS:
        return 0
    similarity = 1 - Levenshtein.normalized_distance(normalize_text(truth), normalize_text(value))
    return 2 if similarity >= 0.9 else 1 if similarity >= 0.8 else 0


@dataclass
class FamilyData:
    """One family's candidates over many readings of receipts, with their relevances and the receipt each came
    from (a receipt read with and without the vendor memory appears twice)."""

    candidates: list[list[Candidate]] = field(default_factory=list)
    relevances: list[list[int]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def add(self, candidates: list[Candidate], truth: str, group: str) -> None:
        self.candidates.append(candidates)
        self.relevances.append([relevance(c.field, c.value, truth) for c in candidates])
        self.groups.append(group)

    def subset(self, keep: Sequence[int]) -> FamilyData:
        return FamilyData([self.candidates[i] for i in keep], [self.relevances[i] for i in keep],
                          [self.groups[i] for i in keep])

    def feature_names(self) -> tuple[str, ...]:
        return tuple(sorted({name for receipt in self.candidates for c in receipt for name in c.features}))


@dataclass(frozen=True)
class Prepared:
    """A labelled receipt read once: its candidates (without the memory's features) and what it teaches the vendor
    memory about its shop."""

    receipt: LabelledReceipt
    doc: Document
    found: dict[str, list[Candidate]]
    remembered: Remembered


def prepare(receipts: Iterable[LabelledReceipt], config: ExtractionConfig,
            progress: Callable[[int], None] | None = None) -> list[Prepared]:
    prepared = []
    for number, receipt in enumerate(receipts):
        doc = document_of(receipt.pages, config)
        prepared.append(Prepared(receipt, doc, candidates_of(doc, config),
                                 remember(doc, receipt.truth, config.today or date.today())))
        if progress:
            progress(number + 1)
    return prepared


def family_data(prepared: Sequence[Prepared]) -> dict[str, FamilyData]:
    """Each learned family's candidates for every receipt whose truth names the field: read cold, and read with the
    vendor memory of the shop's previous receipt when it has one (what a reviewer's approval would give)."""
    data = {name: FamilyData() for name in LEARNED}
    previous: dict[str, Remembered] = {}
    for item in prepared:
        receipt = item.receipt
        readings = [with_memory(item.found, item.doc, None)]
        if receipt.group in previous:
            readings.append(with_memory(item.found, item.doc, previous[receipt.group]))
        for found in readings:
            for name in LEARNED:
                if receipt.truth.get(name, "").strip():
                    data[name].add(found.get(name, []), receipt.truth[name], receipt.group)
        previous[receipt.group] = item.remembered
    return data


def _matrix(data: FamilyData, features: tuple[str, ...]) -> np.ndarray:
    rows = [[c.features.get(name, math.nan) for name in features] for receipt in data.candidates for c in receipt]
    return np.array(rows, dtype=np.float64).reshape(-1, len(features))


def _booster(data: FamilyData, features: tuple[str, ...], seed: int):
    import lightgbm

    sizes = [len(c) for c in data.candidates if c]
    labels = [r for rel, c in zip(data.relevances, data.candidates, strict=True) if c for r in rel]
    dataset = lightgbm.Dataset(_matrix(data, features), np.array(labels), group=sizes, free_raw_data=False)
    return lightgbm.train({**PARAMETERS, "seed": seed}, dataset, ROUNDS)


def trees_of(booster) -> Trees:
    """LightGBM's trees as the arrays ocr.fields.ranker evaluates."""
    dumped = [tree["tree_structure"] for tree in booster.dump_model()["tree_info"]]
    flat = [_flatten(tree) for tree in dumped]
    nodes = max(1, max(len(f[0]) for f in flat))
    leaves = max(len(f[1]) for f in flat)

    def pad(rows: list[list], width: int, fill) -> list[list]:
        return [row + [fill] * (width - len(row)) for row in rows]

    return Trees.from_json({
        "feature": pad([[n["split_feature"] for n in f[0]] for f in flat], nodes, 0),
        "threshold": pad([[float(n["threshold"]) for n in f[0]] for f in flat], nodes, 0.0),
        "default_left": pad([[bool(n["default_left"]) for n in f[0]] for f in flat], nodes, True),
        "nan_is_zero": pad([[n["missing_type"] == "None" for n in f[0]] for f in flat], nodes, False),
        "left": pad([[n["left"] for n in f[0]] for f in flat], nodes, -1),
        "right": pad([[n["right"] for n in f[0]] for f in flat], nodes, -1),
        "leaf": pad([f[1] for f in flat], leaves, 0.0),
    })


def _flatten(root: dict) -> tuple[list[dict], list[float]]:
    """A dumped tree as a node list (children as node index, or ~leaf index) and its leaf values."""
    if "leaf_value" in root:  # a tree of one leaf: one node that sends everything to it
        return [{"split_feature": 0, "threshold": math.inf, "default_left": True, "missing_type": "NaN",
                 "left": ~0, "right": ~0}], [root["leaf_value"]]
    nodes: list[dict] = []
    leaves: list[float] = []

    def visit(node: dict) -> int:
        if "leaf_value" in node:
            leaves.append(node["leaf_value"])
            return ~(len(leaves) - 1)
        index = len(nodes)
        nodes.append(dict(node))
        nodes[index]["left"] = visit(node["left_child"])
        nodes[index]["right"] = visit(node["right_child"])
        return index

    visit(root)
    return nodes, leaves


def fit_family(data: FamilyData, seed: int, signals: Sequence[str] = RANKING_SIGNALS) -> FamilyModel:
    """Trees trained on all of `data`, calibrated on rankings of receipts held out of grouped inner folds."""
    features = data.feature_names()
    trees = trees_of(_booster(data, features, seed))
    held_out: list[tuple[list[Candidate], bool]] = []
    folds = min(CALIBRATION_FOLDS, len(set(data.groups)))  # a handful of shops: as many folds as shops
    for train, test in grouped_folds(data.groups, folds, seed) if folds >= 2 else []:
        inner = FamilyModel(features, trees_of(_booster(data.subset(train), features, seed)), UNCALIBRATED)
        for i in test:
            if data.candidates[i]:
                ranked = inner.scored(data.candidates[i])
                right = {c.value for c, r in zip(data.candidates[i], data.relevances[i], strict=True) if r == 3}
                held_out.append((ranked, ranked[0].value in right))
    return FamilyModel(features, trees, calibrate(held_out, signals))


def calibrate(ranked: Sequence[tuple[list[Candidate], bool]], signals: Sequence[str]) -> Calibration:
    """Logistic regression of 'the winner is right' on the signals of rankings (best first), each standardised so
    that one ridge penalty suits them all; a signal missing from a ranking counts as its mean."""
    x = signal_matrix([candidates for candidates, _ in ranked], signals)
    present = ~np.isnan(x)
    count = np.maximum(present.sum(axis=0), 1)
    mean = np.where(present, x, 0.0).sum(axis=0) / count
    spread = np.sqrt(np.where(present, (x - mean) ** 2, 0.0).sum(axis=0) / count)
    scale = np.where(spread > 1e-9, spread, 1.0)
    right = np.array([1.0 if ok else 0.0 for _, ok in ranked])
    weights, bias = _logistic(np.nan_to_num((x - mean) / scale), right)
    return Calibration(tuple(signals), tuple(mean.tolist()), tuple(scale.tolist()), tuple(weights.tolist()), bias)


def _logistic(x: np.ndarray, y: np.ndarray, steps: int = 50) -> tuple[np.ndarray, float]:
    """Newton's method on the log-likelihood of P(y) = sigmoid(x . w + c), with a ridge penalty on w (and a slight
    one on c, so that receipts all right or all wrong still give a finite answer)."""
    if len(y) == 0:
        return np.zeros(x.shape[1]), 0.0
    design = np.hstack([x, np.ones((len(x), 1))])
    ridge = np.diag([CALIBRATION_RIDGE] * x.shape[1] + [1e-2])
    weights = np.zeros(design.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + ridge @ weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + ridge
        weights -= np.linalg.solve(hessian, gradient)
    return weights[:-1], float(weights[-1])


def grouped_folds(groups: Sequence[str], folds: int, seed: int) -> list[tuple[list[int], list[int]]]:
    """(train, test) index lists; every group falls in exactly one test fold."""
    names = sorted(set(groups))
    np.random.default_rng(seed).shuffle(names)
    fold_of = {name: k % folds for k, name in enumerate(names)}
    return [([i for i, g in enumerate(groups) if fold_of[g] != k], [i for i, g in enumerate(groups) if fold_of[g] == k])
            for k in range(folds)]


def fit(data: Mapping[str, FamilyData], seed: int, card: dict) -> Ranker:
    return Ranker({name: fit_family(family, seed, CALIBRATION_SIGNALS.get(name, RANKING_SIGNALS))
                   for name, family in data.items() if family.candidates}, card)
