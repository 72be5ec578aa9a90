"""Train the seed network on Fashion-MNIST with cnnref and with PyTorch, epoch by epoch, in one run.

    python benchmarks/train_race.py [--epochs 10] [--limit N] [--threads T] [--json out.json]

Both start from the same weights and see the same images in the same order; cnnref trains as
``cnnref train`` does. Prints each epoch's wall time (training + test evaluation) for both, the
ratio torch seconds / cnnref seconds (above 1: cnnref faster) and both test accuracies. The logic
lives in cnnref/bench/race.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnref.bench.race import RaceSettings, race
from cnnref.training.data import DATASETS, load_dataset
from cnnref.training.fit import channel_statistics, normalize


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=tuple(DATASETS), default="fashion-mnist")
    parser.add_argument("--epochs", type=int, default=10, help="epochs (default 10)")
    parser.add_argument("--limit", type=int, help="train on the first N training images only")
    parser.add_argument("--threads", type=int, default=0, help="threads for both (default: OpenMP)")
    parser.add_argument("--data-dir", type=Path, help="folder holding the data set files")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args()
    data = load_dataset(args.dataset, args.data_dir, download=False)
    images, labels = data.train_images[: args.limit], data.train_labels[: args.limit]
    mean, std = channel_statistics(images)
    train = (normalize(images, mean, std), labels)
    test = (normalize(data.test_images, mean, std), data.test_labels)
    print(f"{args.dataset}: {len(labels)} training / {len(test[1])} test images", flush=True)
    settings = RaceSettings(epochs=args.epochs, threads=args.threads)
    report = race(train, test, len(data.class_names), settings, echo=lambda s: print(s, flush=True))
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
