"""Metrics files and the confusion matrix."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from cnnref.training.metrics import (
    METRIC_FIELDS,
    confusion_matrix,
    format_confusion_matrix,
    write_metrics,
)

ROWS = [
    {"epoch": 1, "loss": 0.9, "train_acc": 0.7, "test_acc": 0.75, "images_per_s": 300.0,
     "seconds": 12.5},
    {"epoch": 2, "loss": 0.5, "train_acc": 0.8, "test_acc": 0.82, "images_per_s": 310.0,
     "seconds": 12.1},
]  # fmt: skip


def test_write_metrics_csv_and_json(tmp_path):
    csv_path, json_path = write_metrics(ROWS, tmp_path)
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == METRIC_FIELDS
    assert [float(row["loss"]) for row in rows] == [0.9, 0.5]
    assert json.loads(json_path.read_text()) == ROWS


def test_write_metrics_rejects_incomplete_rows(tmp_path):
    with pytest.raises(ValueError, match=r"rows\[0\] lacks the metrics \['test_acc'"):
        write_metrics([{"epoch": 1, "loss": 1.0, "train_acc": 0.5}], tmp_path)


def test_confusion_matrix_counts_true_rows_predicted_columns():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predictions = np.array([0, 1, 1, 2, 0, 2])
    counts = confusion_matrix(labels, predictions, 3)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert counts.sum() == 6 and counts.dtype == np.int64


def test_confusion_matrix_checks_arguments():
    with pytest.raises(ValueError, match=r"predictions must lie in \[0, 2\)"):
        confusion_matrix(np.array([0, 1]), np.array([0, 2]), 2)
    with pytest.raises(ValueError, match="one entry each"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 2)
    with pytest.raises(ValueError, match="labels must be a 1-D integer"):
        confusion_matrix(np.array([0.0, 1.0]), np.array([0, 1]), 2)


def test_format_confusion_matrix_shows_counts_and_recall():
    counts = np.array([[3, 1], [0, 0]])
    text = format_confusion_matrix(counts, ["cat", "dog"])
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("0 cat") and lines[1].split()[-3:] == ["3", "1", "75.0%"]
    assert lines[2].split()[-1] == "-"
    with pytest.raises(ValueError, match="class names"):
        format_confusion_matrix(counts, ["cat"])
