"""Fetching a dataset from its official source into the cache, checked by SHA-256, atomically.

Each file streams into a temporary file in the destination folder, is hashed on the way, and is
renamed into place (``os.replace``) only when complete and its digest matches: a failed, interrupted
or tampered download leaves nothing behind under the final name, and its temporary file is deleted.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .catalog import DatasetSpec, RemoteFile
from .errors import DatasetError

CHUNK_BYTES = 1 << 20
TIMEOUT_SECONDS = 60
Opener = Callable[..., BinaryIO]


def download_dataset(
    spec: DatasetSpec,
    folder: Path,
    *,
    opener: Opener | None = None,
    progress: bool = True,
) -> list[Path]:
    """Fetch every file of ``spec`` not yet in ``folder``; return the paths of all its files."""
    paths = []
    for remote in spec.files:
        destination = folder / remote.name
        if not destination.is_file():
            fetch(remote, destination, opener=opener, progress=progress)
        paths.append(destination)
    return paths


def fetch(
    remote: RemoteFile,
    destination: Path,
    *,
    opener: Opener | None = None,
    progress: bool = True,
) -> Path:
    """Download ``remote.url`` to ``destination`` if and only if its SHA-256 is ``remote.sha256``.

    ``opener(url, timeout=...)`` returns a readable response (default ``urllib.request.urlopen``).
    A network error, a transfer shorter than its Content-Length, or a digest mismatch raises
    ``DatasetError``; in every case (Ctrl-C included) the temporary file is removed.
    """
    opener = urllib.request.urlopen if opener is None else opener
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as sink:
            digest = _stream(remote.url, sink, opener, progress)
            sink.flush()
            os.fsync(sink.fileno())
        if digest != remote.sha256:
            raise DatasetError(
                f"{remote.url}: SHA-256 mismatch, expected {remote.sha256}, got {digest}; "
                "the download was discarded"
            )
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return destination


def _stream(url: str, sink: BinaryIO, opener: Opener, progress: bool) -> str:
    """Copy ``url`` into ``sink`` chunk by chunk; return the SHA-256 hex digest of the copy."""
    sha256 = hashlib.sha256()
    received = 0
    try:
        with opener(url, timeout=TIMEOUT_SECONDS) as response:
            expected = _content_length(response)
            bar = _progress_bar(url, expected) if progress else None
            try:
                while chunk := response.read(CHUNK_BYTES):
                    sink.write(chunk)
                    sha256.update(chunk)
                    received += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
    except (OSError, http.client.HTTPException) as error:  # URLError, IncompleteRead, timeouts, …
        raise DatasetError(f"{url}: download failed after {received} bytes ({error})") from error
    if expected is not None and received != expected:
        raise DatasetError(f"{url}: download interrupted, got {received} of {expected} bytes")
    return sha256.hexdigest()


def _content_length(response: object) -> int | None:
    headers = getattr(response, "headers", None)
    length = headers.get("Content-Length") if headers is not None else None
    return int(length) if length is not None and length.isdigit() else None


def _progress_bar(url: str, total: int | None):
    """A tqdm bar when tqdm (the optional ``train`` extra) is installed, else None."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1], leave=False)
