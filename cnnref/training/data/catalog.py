"""What each dataset is: its files, where they come from officially, their SHA-256, its classes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset as published: its name, download URL and SHA-256 of its bytes."""

    name: str
    url: str
    sha256: str


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset's name, format ("idx" or "cifar10"), published files, and class names."""

    name: str
    format: str
    files: tuple[RemoteFile, ...]
    class_names: tuple[str, ...]
    system_dirs: tuple[str, ...] = ()


IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# PyTorch's mirror of the original yann.lecun.com files (byte-identical: same SHA-256).
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# Zalando Research's S3 bucket. Debian's dataset-fashion-mnist recompressed these files (same
# images, a gzip header without the file name), so Debian's .gz copies have other digests.
FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}
DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def _idx_files(base_url: str, digests: dict[str, str]) -> tuple[RemoteFile, ...]:
    stems = IDX_FILES.values()
    return tuple(RemoteFile(f"{stem}.gz", f"{base_url}{stem}.gz", digests[stem]) for stem in stems)


DATASETS = {
    "mnist": DatasetSpec(
        name="mnist",
        format="idx",
        files=_idx_files(MNIST_URL, MNIST_SHA256),
        class_names=tuple(str(digit) for digit in range(10)),
    ),
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        format="idx",
        files=_idx_files(FASHION_MNIST_URL, FASHION_MNIST_SHA256),
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        system_dirs=(DEBIAN_FASHION_MNIST_DIR,),
    ),
    "cifar10": DatasetSpec(
        name="cifar10",
        format="cifar10",
        files=(RemoteFile("cifar-10-python.tar.gz", CIFAR10_URL, CIFAR10_SHA256),),
        class_names=(
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ),
    ),
}


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of dataset ``name``; an unknown name raises ValueError listing the known ones."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if name not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(map(repr, DATASETS))}, got {name!r}")
    return DATASETS[name]
