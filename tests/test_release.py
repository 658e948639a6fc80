"""`fetch_release`: the release logs over real http (a local server on 127.0.0.1), from a folder mirror or
$OSCA_RELEASE_MIRROR; sha256 checked before anything is imported; offline is one clear error."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import socket
import threading
from pathlib import Path

import pytest
from storecheck import assert_same_matrix, snapshot

from osca_core.data import release as rel
from osca_core.data.release import RELEASE_FILES, fetch_release
from osca_core.data.store import Store
from osca_core.errors import InputError


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def serve():
    """serve(folder) -> base URL of a real HTTP server on 127.0.0.1 (ephemeral port) serving that folder."""
    servers = []

    def start(folder: Path) -> str:
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_release_table_matches_source_md(release):
    text = (release / "SOURCE.md").read_text()
    rows = re.findall(r"^\| (\S+\.json) \| (\S+) \| ([0-9a-f]{64}) \| (\d+) \|$", text, re.M)
    assert {f: (u, s, int(b)) for f, u, s, b in rows} == {f: v[:3] for f, v in RELEASE_FILES.items()}
    assert [v[3] for v in RELEASE_FILES.values()] == ["osca-swebench", "osca-bigcodebench"]


def test_fetch_over_http_verifies_and_imports_both_datasets(osca_home, release, serve, swe, bcb):
    seen = []
    infos = fetch_release(Store.open(), mirror=serve(release), progress=lambda *a: seen.append(a))
    assert [(d.name, d.questions, d.configs, d.split) for d in infos] == [
        ("osca-swebench", 300, 22, "in-sample"), ("osca-bigcodebench", 148, 10, "70 train / 78 test")]
    assert [d.checksum for d in infos] == [v[1] for v in RELEASE_FILES.values()]
    st = Store.open(read_only=True)
    assert_same_matrix(st.load_matrix("osca-swebench"), swe, source=False)
    assert_same_matrix(st.load_matrix("osca-bigcodebench"), bcb, source=False)
    assert ("swebench_agentless.json", 57634, 57634) in seen and ("bcb_results.json", 9081, 9081) in seen
    assert sorted(p.name for p in (osca_home / "downloads").iterdir()) == ["bcb_results.json", "swebench_agentless.json"]


def test_fetch_from_a_folder_mirror_and_from_the_environment(osca_home, release, monkeypatch, bcb):
    infos = fetch_release(Store.open(), mirror=str(release))
    assert [d.name for d in infos] == ["osca-swebench", "osca-bigcodebench"]
    Store.open().remove("osca-bigcodebench")
    monkeypatch.setenv("OSCA_RELEASE_MIRROR", str(release))
    fetch_release(Store.open())
    assert_same_matrix(Store.open().load_matrix("osca-bigcodebench"), bcb, source=False)


def test_a_checksum_mismatch_is_refused_and_the_store_is_unchanged(osca_home, release, serve, tmp_path):
    fetch_release(Store.open(), mirror=str(release))
    before = snapshot(osca_home)
    bad = tmp_path / "mirror"
    bad.mkdir()
    shutil.copy(release / "swebench_agentless.json", bad)
    text = (release / "bcb_results.json").read_text()
    (bad / "bcb_results.json").write_text(text.replace("[", "[ ", 1))  # same JSON, other bytes
    with pytest.raises(InputError, match=r"bcb_results\.json: sha256 mismatch \(expected 82cdc590.*refusing"):
        fetch_release(Store.open(), mirror=serve(bad))
    assert snapshot(osca_home) == before
    downloads = osca_home / "downloads"
    assert sorted(p.name for p in downloads.iterdir()) == ["bcb_results.json", "swebench_agentless.json"]
    assert (downloads / "bcb_results.json").read_bytes() == (release / "bcb_results.json").read_bytes()


def test_a_mirror_without_the_files_is_refused(osca_home, serve, tmp_path):
    with pytest.raises(InputError, match=r"cannot download swebench_agentless\.json from http://127\.0\.0\.1:\d+/"
                                         r"swebench_agentless\.json: HTTP 404"):
        fetch_release(Store.open(), mirror=serve(tmp_path))
    with pytest.raises(InputError, match="no such file in the mirror"):
        fetch_release(Store.open(), mirror=str(tmp_path))
    with pytest.raises(InputError, match="neither a folder nor an http"):
        fetch_release(Store.open(), mirror=str(tmp_path / "nowhere"))
    assert Store.open().list_datasets() == []


def test_offline_without_a_mirror_is_one_clear_error(osca_home, monkeypatch):
    monkeypatch.delenv("OSCA_RELEASE_MIRROR", raising=False)
    port = _closed_port()
    monkeypatch.setattr(rel, "RELEASE_FILES", {k: (f"http://127.0.0.1:{port}/{k}", *v[1:])
                                               for k, v in RELEASE_FILES.items()})
    with pytest.raises(InputError, match=r"cannot download swebench_agentless\.json .*offline\? use --mirror"):
        fetch_release(Store.open())
    assert Store.open().list_datasets() == []


def test_a_mirror_serving_far_more_bytes_than_released_is_cut_off(osca_home, release, serve, tmp_path):
    big = tmp_path / "big"
    big.mkdir()
    shutil.copy(release / "swebench_agentless.json", big)
    (big / "bcb_results.json").write_bytes(b" " * 300_000)
    with pytest.raises(InputError, match=r"bcb_results\.json: more than the 9081 bytes of the released bcb_results"):
        fetch_release(Store.open(), mirror=serve(big))
    assert Store.open().list_datasets() == []
    assert not (osca_home / "downloads" / "bcb_results.json.part").exists()


@pytest.mark.parametrize("var", ["OSCA_FETCH_TIMEOUT", "OSCA_FETCH_DEADLINE"])
@pytest.mark.parametrize("value", ["-1", "nan", "0", "1e300", "1e400", "86401", "9" * 5000])
def test_a_bad_fetch_timeout_is_refused_before_any_work(osca_home, release, monkeypatch, value, var):
    monkeypatch.setenv(var, value)
    shown = value if len(value) < 30 else "99999999999999999999... (5000 characters)"
    with pytest.raises(InputError, match=rf"^{var}: expected a number of seconds > 0 and at most 86400 "
                                         rf"\(got '{re.escape(shown)}'\)$"):
        fetch_release(Store.open(), mirror=str(release))  # a folder mirror needs no timeout: refused all the same
    assert Store.open().list_datasets() == []
    assert not (osca_home / "downloads").exists()


def test_a_mirror_that_drips_bytes_is_stopped_by_the_total_deadline(osca_home, monkeypatch):
    """One byte every 0.3 s never trips the per-read timeout (1 s); the whole download stops at the deadline."""
    import threading
    import time

    class Drip(_Quiet):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "9081")
            self.end_headers()
            try:
                for _ in range(9081):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    monkeypatch.setenv("OSCA_FETCH_TIMEOUT", "1")
    monkeypatch.setenv("OSCA_FETCH_DEADLINE", "1.5")
    t0 = time.monotonic()
    try:
        with pytest.raises(InputError, match=r"^cannot download swebench_agentless\.json from http://127\.0\.0\.1:\d+/"
                                             r"swebench_agentless\.json: not done after 1\.5 s \(OSCA_FETCH_DEADLINE; "
                                             r"\d+ bytes so far\); is the mirror up\?$"):
            fetch_release(Store.open(), mirror=f"http://127.0.0.1:{srv.server_port}")
    finally:
        srv.shutdown()
        srv.server_close()
    assert time.monotonic() - t0 < 4
    assert Store.open().list_datasets() == []
    assert not (osca_home / "downloads" / "swebench_agentless.json.part").exists()


def test_a_downloads_folder_that_cannot_be_written_is_one_clear_error(osca_home, release):
    st = Store.open()
    (osca_home / "downloads").write_text("a file where the folder should be")
    with pytest.raises(InputError, match=r"downloads: cannot create the downloads folder \(File exists\); is "
                                         r"OSCA_HOME writable\?$"):
        fetch_release(st, mirror=str(release))
    assert st.list_datasets() == []
