"""Training metrics on disk (CSV and JSON) and the confusion matrix of a classifier."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..validation import positive_int

METRIC_FIELDS = ("epoch", "loss", "train_acc", "test_acc", "images_per_s", "seconds")


def write_metrics(rows: Sequence[dict], directory: str | os.PathLike) -> tuple[Path, Path]:
    """Write one row per epoch to ``metrics.csv`` and ``metrics.json`` in ``directory``; returns
    both paths. Each row must hold the fields of METRIC_FIELDS."""
    directory = Path(directory)
    for index, row in enumerate(rows):
        missing = [name for name in METRIC_FIELDS if name not in row]
        if missing:
            raise ValueError(f"rows[{index}] lacks the metrics {missing}")
    csv_path, json_path = directory / "metrics.csv", directory / "metrics.json"
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=METRIC_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    json_path.write_text(json.dumps([dict(row) for row in rows], indent=2) + "\n", encoding="utf-8")
    return csv_path, json_path


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int) -> np.ndarray:
    """counts[i, j] = #{n : labels[n] = i and predictions[n] = j}; rows are the true classes.

    Shapes: labels and predictions (N,) integers in [0, classes) → (classes, classes) int64.
    """
    classes = positive_int("classes", classes)
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values.ndim != 1 or values.dtype.kind not in "iu":
            raise ValueError(
                f"{name} must be a 1-D integer array, got {values.dtype} {values.shape}"
            )
        if values.size and (values.min() < 0 or values.max() >= classes):
            raise ValueError(f"{name} must lie in [0, {classes})")
    if labels.shape != predictions.shape:
        raise ValueError(
            f"labels and predictions must have one entry each per sample, got {labels.shape} "
            f"and {predictions.shape}"
        )
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (labels, predictions), 1)
    return counts


def format_confusion_matrix(counts: np.ndarray, class_names: Sequence[str]) -> str:
    """A text table: one row per true class, one column per predicted class, recall at the end."""
    counts = np.asarray(counts)
    k = len(class_names)
    if counts.shape != (k, k):
        raise ValueError(f"counts must be ({k}, {k}) for {k} class names, got {counts.shape}")
    names = [str(name)[:12] for name in class_names]
    name_width = max(len("true \\ predicted"), *(len(name) for name in names))
    cell = max(6, len(str(int(counts.max(initial=0)))) + 1)
    header = "true \\ predicted".ljust(name_width) + "".join(f"{j:>{cell}}" for j in range(k))
    lines = [header + "  recall"]
    for i, name in enumerate(names):
        total = counts[i].sum()
        recall = f"{counts[i, i] / total:8.1%}" if total else "       -"
        cells = "".join(f"{int(c):>{cell}}" for c in counts[i])
        lines.append(f"{i} {name}".ljust(name_width) + cells + recall)
    return "\n".join(lines)
