"""Minibatch training of a Sequential network by gradient ascent on the log-likelihood J.

Each epoch shuffles the training set with a seeded ``numpy.random.Generator``, takes one optimizer
step per minibatch of B images along ∇(J / B) (the mean log-likelihood, i.e. descent on the mean
cross-entropy), then evaluates on the test set. Everything a run depends on — weights, optimizer
state, the shuffling generator's state at the start of the epoch, the minibatches done and the
running sums — is in :class:`TrainingState` plus the optimizer, so a run stopped after any minibatch
and resumed from its checkpoint gives bit-for-bit the weights and metrics of an uninterrupted run.

Ctrl-C during :func:`fit` is deferred to the end of the current minibatch: the state is
checkpointed there and :class:`TrainingInterrupted` is raised (a second Ctrl-C stops at once).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..nn.network import Sequential
from ..nn.optim import SGD, Adam
from ..output import log_likelihood
from ..threads import one_blas_thread
from ..validation import (
    finite_vector,
    float_array,
    float_dtype,
    memory_for,
    nonnegative_int,
    positive_int,
)
from .checkpoint import Checkpoint, CheckpointError, check_parameters

EVAL_BATCH = 500


class Progress(Protocol):
    """What :func:`fit` needs from a progress bar (``tqdm`` fits)."""

    def update(self, n: int = 1) -> object: ...

    def close(self) -> object: ...


@dataclass
class TrainingState:
    """Where a run stands: ``epoch`` epochs done and ``step`` minibatches of the next one.

    ``rng_state`` is the shuffling generator's state at the start of the current epoch (JSON-able);
    ``partial`` holds the current epoch's running sums; ``metrics`` one dict per finished epoch.
    """

    epoch: int
    step: int
    rng_state: dict
    partial: dict = field(default_factory=lambda: dict(_EMPTY_PARTIAL))
    metrics: list[dict] = field(default_factory=list)


_EMPTY_PARTIAL = {"loss_sum": 0.0, "correct": 0, "seen": 0, "train_seconds": 0.0}


class TrainingInterrupted(Exception):
    """Ctrl-C stopped :func:`fit`; ``state`` is where it stopped (already checkpointed)."""

    def __init__(self, state: TrainingState) -> None:
        super().__init__(f"training interrupted at epoch {state.epoch + 1}, minibatch {state.step}")
        self.state = state


def new_state(seed: int) -> TrainingState:
    """The state of a run that has not started; shuffling draws from PCG64 seeded by (seed, 1)."""
    seed = nonnegative_int("seed", seed)
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 1])))
    return TrainingState(epoch=0, step=0, rng_state=generator.bit_generator.state)


def epoch_order(rng_state: dict, count: int) -> tuple[np.ndarray, dict]:
    """The order in which an epoch visits the ``count`` training images, drawn from the PCG64
    generator in ``rng_state`` (a :class:`TrainingState`'s), and the generator's state after it."""
    generator = np.random.Generator(np.random.PCG64())
    generator.bit_generator.state = rng_state
    order = generator.permutation(count)
    return order, generator.bit_generator.state


def channel_statistics(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation over N, H, W of images (N, H, W, C) → (C,), (C,).

    A channel with zero spread gets std 1, so normalizing it does not divide by zero.
    """
    images = float_array("images", images, 4, "(N, H, W, C)")
    if images.shape[0] == 0:
        raise ValueError("images must hold at least one image to compute channel statistics")
    mean = images.mean(axis=(0, 1, 2), dtype=np.float64)
    std = images.std(axis=(0, 1, 2), dtype=np.float64)
    return mean, np.where(std > 0, std, 1.0)


def normalize(images: np.ndarray, mean, std, dtype=np.float32) -> np.ndarray:
    """(x − mean_c) / std_c per channel c, as a new array of ``dtype``. images (N, H, W, C)."""
    images = float_array("images", images, 4, "(N, H, W, C)")
    dtype = float_dtype(dtype)
    channels = images.shape[3]
    mean = finite_vector("mean", mean, channels, "(one per channel)")
    std = finite_vector("std", std, channels, "(one per channel)")
    if np.any(std <= 0):
        channel = int(np.flatnonzero(std <= 0)[0])
        raise ValueError(
            f"std must be > 0 (one per channel), got std[{channel}] = {std[channel]}: a channel "
            "with no spread takes std 1, as channel_statistics gives it"
        )
    return ((images - mean) / std).astype(dtype)


def one_hot(labels: np.ndarray, classes: int, dtype=np.float32) -> np.ndarray:
    """T with tₙₖ = 1 where k = labels[n], else 0. labels (N,) integers in [0, classes) → (N, K)."""
    labels = np.asarray(labels)
    classes = positive_int("classes", classes)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be a 1-D integer array, got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"labels must lie in [0, {classes}), got [{labels.min()}, {labels.max()}]")
    with memory_for(
        "len(labels) and classes", "the one-hot targets", (len(labels), classes), dtype
    ):
        t = np.zeros((labels.shape[0], classes), dtype=dtype)
    t[np.arange(labels.shape[0]), labels] = 1
    return t


def evaluate(
    network: Sequential, images: np.ndarray, labels: np.ndarray, batch_size: int = EVAL_BATCH
) -> tuple[float, float, np.ndarray]:
    """(mean cross-entropy −J/N, accuracy, predicted classes (N,)) of ``network`` on a data set."""
    y = network.predict(images, batch_size)
    if y.shape[0] != len(labels):
        raise ValueError(f"labels must have one entry per image ({y.shape[0]}), got {len(labels)}")
    if y.shape[0] == 0:
        raise ValueError("images must hold at least one image to evaluate on")
    predictions = y.argmax(axis=1)
    loss = -log_likelihood(one_hot(labels, y.shape[1], y.dtype), y) / y.shape[0]
    return loss, float(np.mean(predictions == labels)), predictions


def fit(
    network: Sequential,
    optimizer: SGD | Adam,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    epochs: int,
    batch_size: int,
    state: TrainingState,
    save: Callable[[TrainingState], None] | None = None,
    progress: Callable[[int, int, int], Progress] | None = None,
    report: Callable[[dict], None] | None = None,
) -> TrainingState:
    """Train until ``epochs`` epochs are done, starting from ``state``; returns the final state.

    ``train`` and ``test`` are (images, labels) already normalized and in the network's dtype.
    After each epoch the metrics row {epoch, loss, train_acc, test_acc, images_per_s, seconds} is
    appended to ``state.metrics`` and passed to ``report``, then ``save(state)`` checkpoints it.
    ``loss`` is the epoch's mean cross-entropy −J/N and ``train_acc`` the accuracy, both over the
    minibatches as they were trained; ``images_per_s`` counts training only, ``seconds`` includes
    the test evaluation. ``progress(epoch, minibatches, done)`` opens a progress bar for an
    epoch.
    """
    epochs = nonnegative_int("epochs", epochs)
    batch_size = positive_int("batch_size", batch_size)
    _check_parts(network, optimizer, state)
    train_x, train_y = _data_pair("train", train)
    test = _data_pair("test", test)
    count = len(train_y)
    if len(train_x) != count or count == 0:
        raise ValueError(
            f"train must be non-empty (images, labels) of equal length, got {len(train_x)} "
            f"images and {count} labels"
        )
    batches = -(-count // batch_size)
    if not 0 <= state.step <= batches:
        raise ValueError(
            f"state.step = {state.step} minibatches done, but an epoch of {count} images has "
            f"{batches} minibatches of {batch_size}: resume with the batch size and training "
            "set the run started with"
        )
    with _deferred_interrupt() as interrupt:
        while state.epoch < epochs:
            order, next_rng_state = epoch_order(state.rng_state, count)
            bar = progress(state.epoch + 1, batches, state.step) if progress else None
            try:
                for index in range(state.step, batches):
                    chosen = order[index * batch_size : (index + 1) * batch_size]
                    _train_minibatch(network, optimizer, train_x[chosen], train_y[chosen], state)
                    state.step = index + 1
                    if bar is not None:
                        bar.update(1)
                    if interrupt.requested and state.step < batches:
                        _save(save, state)
                        raise TrainingInterrupted(state)
            finally:
                if bar is not None:
                    bar.close()
            row = _finish_epoch(network, test, state, next_rng_state)
            if report is not None:
                report(row)
            _save(save, state)
            if interrupt.requested:
                raise TrainingInterrupted(state)
    return state


def _check_parts(network, optimizer, state) -> None:
    """network a Sequential, optimizer an SGD or Adam, state a TrainingState (new_state(seed))."""
    parts = (
        ("network", network, (Sequential,)),
        ("optimizer", optimizer, (SGD, Adam)),
        ("state", state, (TrainingState,)),
    )
    for name, value, kinds in parts:
        if not isinstance(value, kinds):
            expected = " or ".join(kind.__name__ for kind in kinds)
            raise TypeError(f"{name} must be a {expected}, got {type(value).__name__}")


def _data_pair(name: str, value) -> tuple[np.ndarray, np.ndarray]:
    """``value`` = (images, labels) as two arrays."""
    if not isinstance(value, tuple | list):
        raise TypeError(f"{name} must be a pair (images, labels), got {type(value).__name__}")
    if len(value) != 2:
        raise ValueError(f"{name} must be a pair (images, labels), got {len(value)} items")
    return np.asarray(value[0]), np.asarray(value[1])


def _train_minibatch(
    network: Sequential, optimizer, images: np.ndarray, labels: np.ndarray, state: TrainingState
) -> None:
    """One ascent step along ∇(J / B) on a minibatch of B images; updates the running sums."""
    started = time.perf_counter()
    loglik, correct = minibatch_step(network, optimizer, images, labels)
    partial = state.partial
    partial["loss_sum"] -= loglik
    partial["correct"] += correct
    partial["seen"] += len(labels)
    partial["train_seconds"] += time.perf_counter() - started


def minibatch_step(network: Sequential, optimizer, images: np.ndarray, labels: np.ndarray):
    """θ ← optimizer step along ∇(J / B) on a minibatch of B images, the step :func:`fit` takes;
    returns (J of the minibatch before the step, how many images it classified right). The step
    holds the BLAS at one thread throughout (once, not once per product: cnnref.threads) and
    writes the update into the parameters in place."""
    with one_blas_thread():
        y = network.forward(images)
        t = one_hot(labels, y.shape[1], y.dtype)
        network.backward(t, input_gradient=False)
        optimizer.update(network.parameters(), network.gradients(), batch=len(labels))
    return log_likelihood(t, y), int(np.sum(y.argmax(axis=1) == labels))


def _finish_epoch(
    network: Sequential, test: tuple[np.ndarray, np.ndarray], state: TrainingState, rng_state: dict
) -> dict:
    started = time.perf_counter()
    _, test_acc, _ = evaluate(network, *test)
    partial = state.partial
    train_seconds = partial["train_seconds"]
    row = {
        "epoch": state.epoch + 1,
        "loss": partial["loss_sum"] / partial["seen"],
        "train_acc": partial["correct"] / partial["seen"],
        "test_acc": test_acc,
        "images_per_s": partial["seen"] / train_seconds if train_seconds > 0 else float("nan"),
        "seconds": train_seconds + time.perf_counter() - started,
    }
    state.metrics.append(row)
    state.epoch += 1
    state.step = 0
    state.rng_state = rng_state
    state.partial = dict(_EMPTY_PARTIAL)
    return row


def _save(save: Callable[[TrainingState], None] | None, state: TrainingState) -> None:
    if save is not None:
        save(state)


class _InterruptFlag:
    requested = False


@contextlib.contextmanager
def _deferred_interrupt() -> Iterator[_InterruptFlag]:
    """While active, the first SIGINT only sets ``requested``; a second raises KeyboardInterrupt.

    Outside the main thread signals cannot be caught, and Ctrl-C raises as usual.
    """
    flag = _InterruptFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum, frame):
        if flag.requested:
            raise KeyboardInterrupt
        flag.requested = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _check_progress(path: str, partial, metrics) -> None:
    """The running sums (a dict of _EMPTY_PARTIAL's numbers) and metrics (a list of dicts) of a
    checkpoint's training entry; otherwise a CheckpointError saying which."""
    sums_ok = isinstance(partial, dict) and set(partial) == set(_EMPTY_PARTIAL)
    if not sums_ok or not all(_is_number(partial[key]) for key in _EMPTY_PARTIAL):
        expected = ", ".join(_EMPTY_PARTIAL)
        raise CheckpointError(path, f"training 'partial' must map {expected} to numbers")
    if not isinstance(metrics, list) or not all(isinstance(row, dict) for row in metrics):
        raise CheckpointError(path, "training 'metrics' must be a list of per-epoch rows")


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def make_checkpoint(
    network: Sequential, optimizer: SGD | Adam, state: TrainingState, config: dict
) -> Checkpoint:
    """Everything needed to continue the run exactly, as a :class:`Checkpoint`."""
    return Checkpoint(
        parameters=network.parameters(),
        optimizer_state=optimizer.state_dict(),
        epoch=state.epoch,
        step=state.step,
        training={"rng_state": state.rng_state, "partial": state.partial, "metrics": state.metrics},
        config=config,
    )


def restore(checkpoint: Checkpoint, network: Sequential, optimizer: SGD | Adam) -> TrainingState:
    """Load weights and optimizer state into ``network`` and ``optimizer`` (built with the
    checkpoint's config); return the training state. A mismatch is a CheckpointError."""
    check_parameters(checkpoint, network.parameters())
    training = checkpoint.training
    missing = [key for key in ("rng_state", "partial", "metrics") if key not in training]
    if missing:
        raise CheckpointError(checkpoint.path, f"training entry lacks {missing}")
    _check_progress(checkpoint.path, training["partial"], training["metrics"])
    try:
        np.random.Generator(np.random.PCG64()).bit_generator.state = training["rng_state"]
    except (TypeError, ValueError, KeyError) as error:
        problem = f"shuffling RNG state is invalid: {error}"
        raise CheckpointError(checkpoint.path, problem) from error
    try:
        optimizer.load_state_dict(checkpoint.optimizer_state)
    except ValueError as error:
        raise CheckpointError(checkpoint.path, f"optimizer state does not fit: {error}") from error
    network.set_parameters(checkpoint.parameters)
    return TrainingState(
        epoch=checkpoint.epoch,
        step=checkpoint.step,
        rng_state=training["rng_state"],
        partial=dict(training["partial"]),
        metrics=list(training["metrics"]),
    )
