"""Whole training runs of the seed network, cnnref next to PyTorch, epoch by epoch in one process.

cnnref trains exactly as ``cnnref train`` does (:func:`cnnref.training.fit.fit` on
:func:`seed_cnn`, SGD with momentum, the mean log-likelihood of each minibatch, a test evaluation
after each epoch).
PyTorch trains the same network, written as a ``torch.nn.Sequential`` the way a PyTorch user would,
from the same initial weights, on the same normalized images in the same order, with
``torch.optim.SGD`` at the same learning rate and momentum and the mean cross-entropy; after each
epoch it evaluates the test set too. The two frameworks alternate epoch by epoch (the one that goes
first alternates as well), so load from other processes falls on both alike. Each epoch's time
covers training and the test evaluation; the ratio is PyTorch's seconds / cnnref's seconds, so above
1 means cnnref is faster.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from ..nn.network import Sequential, seed_cnn
from ..nn.optim import SGD
from ..threads import pool_threads
from ..training.fit import EVAL_BATCH, TrainingState, epoch_order, fit, new_state
from ..validation import positive_int
from .seed import machine_description


@dataclass
class RaceSettings:
    """The training run both frameworks do (the defaults are ``cnnref train``'s)."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    seed: int = 0
    threads: int = 0  # 0: cnnref's OpenMP thread count


@dataclass
class EpochRow:
    """One epoch of both frameworks: wall seconds (training + test evaluation), test accuracy."""

    epoch: int
    cnnref_seconds: float
    torch_seconds: float
    ratio: float
    cnnref_test_acc: float
    torch_test_acc: float


@dataclass
class RaceReport:
    machine: dict
    settings: dict
    rows: list[EpochRow] = field(default_factory=list)

    @property
    def cnnref_seconds(self) -> float:
        return sum(row.cnnref_seconds for row in self.rows)

    @property
    def torch_seconds(self) -> float:
        return sum(row.torch_seconds for row in self.rows)

    @property
    def ratio(self) -> float:
        """PyTorch's total seconds / cnnref's (above 1: cnnref finished first)."""
        return self.torch_seconds / self.cnnref_seconds

    def as_dict(self) -> dict:
        return {
            "machine": self.machine,
            "settings": self.settings,
            "epochs": [asdict(row) for row in self.rows],
            "cnnref_seconds": self.cnnref_seconds,
            "torch_seconds": self.torch_seconds,
            "ratio": self.ratio,
        }


class TorchRun:
    """PyTorch's side of the race: the seed network, its optimizer and the data as NCHW tensors."""

    def __init__(self, network: Sequential, train, test, settings: RaceSettings) -> None:
        import torch

        from .torch_seed import seed_module

        self.torch = torch
        self.model = seed_module(seed_parameters_of(network))
        self.optimizer = torch.optim.SGD(
            self.model.parameters(), lr=settings.lr, momentum=settings.momentum
        )
        self.batch_size = settings.batch_size
        self.train_x, self.train_y = _nchw(torch, train[0]), torch.from_numpy(train[1]).long()
        self.test_x, self.test_y = _nchw(torch, test[0]), torch.from_numpy(test[1]).long()

    def epoch(self, order: np.ndarray) -> float:
        """Train one epoch visiting the images in ``order``, then evaluate; the test accuracy."""
        torch, model, optimizer = self.torch, self.model, self.optimizer
        cross_entropy = torch.nn.functional.cross_entropy
        order = torch.from_numpy(order)
        loss_sum, correct = 0.0, 0
        model.train()
        for start in range(0, len(order), self.batch_size):
            chosen = order[start : start + self.batch_size]
            images, labels = self.train_x[chosen], self.train_y[chosen]
            logits = model(images)
            loss = cross_entropy(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            # the running loss and accuracy cnnref's fit keeps too, so both do the same work
            loss_sum += loss.item() * len(chosen)
            correct += int((logits.argmax(dim=1) == labels).sum())
        self.train_loss, self.train_acc = loss_sum / len(order), correct / len(order)
        return self.evaluate()

    def evaluate(self) -> float:
        torch, model = self.torch, self.model
        model.eval()
        correct = 0
        with torch.inference_mode():
            for start in range(0, len(self.test_y), EVAL_BATCH):
                images = self.test_x[start : start + EVAL_BATCH]
                labels = self.test_y[start : start + EVAL_BATCH]
                logits = model(images)
                # cnnref's evaluate computes the test loss as well
                torch.nn.functional.cross_entropy(logits, labels, reduction="sum")
                correct += int((logits.argmax(dim=1) == labels).sum())
        return correct / len(self.test_y)


def seed_parameters_of(network: Sequential) -> dict[str, np.ndarray]:
    """A :func:`seed_cnn` network's weights named as in :mod:`cnnref.nn.seed_step` (w1, …, b4)."""
    weighted = [layer for layer in network.layers if layer.params]
    if len(weighted) != 4:
        raise ValueError(f"expected the seed network's 4 weighted layers, got {len(weighted)}")
    params = {}
    for index, layer in enumerate(weighted, start=1):
        params[f"w{index}"] = layer.params["w"].copy()
        params[f"b{index}"] = layer.params["b"].copy()
    return params


def _nchw(torch, images: np.ndarray):
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))


def race(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    classes: int,
    settings: RaceSettings,
    echo: Callable[[str], None] = print,
) -> RaceReport:
    """Train the seed network with both frameworks for ``settings.epochs`` epochs, alternating.

    ``train`` and ``test`` are (images (N, 32, 32, C) normalized float32, labels (N,)).
    """
    import torch

    epochs = positive_int("epochs", settings.epochs)
    threads = settings.threads or pool_threads()
    torch.set_num_threads(threads)
    network = seed_cnn(train[0].shape[3], classes, "relu", seed=settings.seed)
    optimizer = SGD(network.parameters(), settings.lr, settings.momentum)
    theirs = TorchRun(network, train, test, settings)
    state: TrainingState = new_state(settings.seed)
    report = RaceReport(machine_description(threads), asdict(settings))
    echo(_header())
    for epoch in range(1, epochs + 1):
        order, _ = epoch_order(state.rng_state, len(train[1]))
        timings = {}
        for name in ("cnnref", "torch") if epoch % 2 else ("torch", "cnnref"):
            started = time.perf_counter()
            if name == "cnnref":
                fit(
                    network, optimizer, train, test,
                    epochs=epoch, batch_size=settings.batch_size, state=state,
                )  # fmt: skip
                accuracy = state.metrics[-1]["test_acc"]
            else:
                accuracy = theirs.epoch(order)
            timings[name] = (time.perf_counter() - started, accuracy)
        (cnnref_seconds, cnnref_acc), (torch_seconds, torch_acc) = (
            timings["cnnref"],
            timings["torch"],
        )
        row = EpochRow(
            epoch=epoch,
            cnnref_seconds=cnnref_seconds,
            torch_seconds=torch_seconds,
            ratio=torch_seconds / cnnref_seconds,
            cnnref_test_acc=cnnref_acc,
            torch_test_acc=torch_acc,
        )
        report.rows.append(row)
        echo(_format_row(row))
    echo(
        f"total: cnnref {report.cnnref_seconds:.1f} s, torch {report.torch_seconds:.1f} s, "
        f"ratio {report.ratio:.2f} (torch seconds / cnnref seconds; above 1: cnnref faster)"
    )
    return report


def _header() -> str:
    return "epoch  cnnref s  torch s  ratio  cnnref test acc  torch test acc"


def _format_row(row: EpochRow) -> str:
    return (
        f"{row.epoch:>5}  {row.cnnref_seconds:>8.1f}  {row.torch_seconds:>7.1f}  {row.ratio:>5.2f}"
        f"  {row.cnnref_test_acc:>15.2%}  {row.torch_test_acc:>14.2%}"
    )
