"""Downloads from a local HTTP server on 127.0.0.1: digest checked, atomic, nothing partial left."""

from __future__ import annotations

import hashlib
import http.client
import http.server
import re
import threading
import urllib.error
from pathlib import Path

import pytest

from cnnref.training.data import DatasetError
from cnnref.training.data.catalog import DatasetSpec, RemoteFile
from cnnref.training.data.download import download_dataset, fetch


class Server:
    """Serves ``routes``: path → (body, declared Content-Length or None for the true length)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, int | None]] = {}
        self.requests: list[str] = []
        routes, requests = self.routes, self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                if self.path not in routes:
                    self.send_error(404)
                    return
                body, declared = routes[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) if declared is None else declared))
                self.end_headers()
                self.wfile.write(body)  # fewer bytes than declared: the transfer is cut short
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, body: bytes, declared: int | None = None) -> RemoteFile:
        self.routes[path] = (body, declared)
        return RemoteFile(
            path.rsplit("/", 1)[-1], self.url + path, hashlib.sha256(body).hexdigest()
        )

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    server = Server()
    yield server
    server.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_fetch_writes_the_verified_file_and_nothing_else(server, tmp_path):
    body = bytes(range(256)) * 5000
    remote = server.add("/data/train.gz", body)
    destination = tmp_path / "cache" / "train.gz"
    assert fetch(remote, destination, progress=False) == destination
    assert destination.read_bytes() == body
    assert leftovers(destination.parent) == ["train.gz"]


def test_progress_bar_does_not_change_the_result(server, tmp_path, capsys):
    pytest.importorskip("tqdm")
    remote = server.add("/f.gz", b"x" * 3_000_000)
    fetch(remote, tmp_path / "f.gz", progress=True)
    assert (tmp_path / "f.gz").read_bytes() == b"x" * 3_000_000
    assert "f.gz" in capsys.readouterr().err


def test_digest_mismatch_leaves_nothing_behind(server, tmp_path):
    remote = server.add("/train.gz", b"tampered content")
    wrong = RemoteFile(remote.name, remote.url, "0" * 64)
    with pytest.raises(DatasetError) as caught:
        fetch(wrong, tmp_path / "train.gz", progress=False)
    digest = hashlib.sha256(b"tampered content").hexdigest()
    assert str(caught.value) == (
        f"{remote.url}: SHA-256 mismatch, expected {'0' * 64}, got {digest}; "
        "the download was discarded"
    )
    assert leftovers(tmp_path) == []


def test_interrupted_transfer_leaves_nothing_behind(server, tmp_path):
    remote = server.add("/train.gz", b"y" * 1000, declared=5000)
    expected = f"{remote.url}: download interrupted, got 1000 of 5000 bytes"
    with pytest.raises(DatasetError, match=re.escape(expected)):
        fetch(remote, tmp_path / "train.gz", progress=False)
    assert leftovers(tmp_path) == []


def test_connection_error_mid_transfer_leaves_nothing_behind(tmp_path):
    class Response(FakeResponse):
        def fail(self):
            raise http.client.IncompleteRead(b"", 5)

    remote = RemoteFile("a.gz", "http://example.invalid/a.gz", "0" * 64)
    with pytest.raises(
        DatasetError, match=r"a\.gz: download failed after 5 bytes \(IncompleteRead"
    ):
        fetch(remote, tmp_path / "a.gz", opener=lambda url, timeout: Response(), progress=False)
    assert leftovers(tmp_path) == []


def test_an_existing_good_file_survives_a_failed_download(server, tmp_path):
    destination = tmp_path / "train.gz"
    destination.write_bytes(b"the last good copy")
    remote = server.add("/train.gz", b"z" * 10, declared=100)
    with pytest.raises(DatasetError):
        fetch(remote, destination, progress=False)
    assert destination.read_bytes() == b"the last good copy"
    assert leftovers(tmp_path) == ["train.gz"]


def test_http_error_names_the_url(server, tmp_path):
    remote = RemoteFile("absent.gz", server.url + "/absent.gz", "0" * 64)
    with pytest.raises(
        DatasetError, match=r"absent\.gz: download failed after 0 bytes \(HTTP Error 404"
    ):
        fetch(remote, tmp_path / "absent.gz", progress=False)
    assert leftovers(tmp_path) == []


def test_unreachable_host_is_a_dataset_error(tmp_path):
    def refuse(url, timeout):
        raise urllib.error.URLError("connection refused")

    remote = RemoteFile("a.gz", "http://mirror.invalid/a.gz", "0" * 64)
    with pytest.raises(DatasetError, match="connection refused"):
        fetch(remote, tmp_path / "a.gz", opener=refuse, progress=False)
    assert leftovers(tmp_path) == []


class FakeResponse:
    """A response that delivers five bytes of its announced ten, then calls ``fail``."""

    def __init__(self) -> None:
        self.headers = {"Content-Length": "10"}
        self.reads = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self, size):
        self.reads += 1
        if self.reads == 1:
            return b"first"
        self.fail()

    def fail(self):
        raise NotImplementedError


def test_ctrl_c_mid_transfer_removes_the_temporary_file(tmp_path):
    class Response(FakeResponse):
        def fail(self):
            raise KeyboardInterrupt

    remote = RemoteFile("a.gz", "http://example.invalid/a.gz", "0" * 64)
    with pytest.raises(KeyboardInterrupt):
        fetch(remote, tmp_path / "a.gz", opener=lambda url, timeout: Response(), progress=False)
    assert leftovers(tmp_path) == []


def test_file_url_works_too(tmp_path):
    source = tmp_path / "mirror" / "t10k.gz"
    source.parent.mkdir()
    source.write_bytes(b"local mirror")
    remote = RemoteFile("t10k.gz", source.as_uri(), hashlib.sha256(b"local mirror").hexdigest())
    fetch(remote, tmp_path / "cache" / "t10k.gz", progress=False)
    assert (tmp_path / "cache" / "t10k.gz").read_bytes() == b"local mirror"


def test_download_dataset_fetches_only_what_is_missing(server, tmp_path):
    first = server.add("/a.gz", b"aaa")
    second = server.add("/b.gz", b"bbb")
    spec = DatasetSpec("toy", "idx", (first, second), ("x",))
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "a.gz").write_bytes(b"aaa")
    assert download_dataset(spec, folder, progress=False) == [folder / "a.gz", folder / "b.gz"]
    assert server.requests == ["/b.gz"]
    assert (folder / "b.gz").read_bytes() == b"bbb"
