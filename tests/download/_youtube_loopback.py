"""Loopback media for the YouTube tests: small real mp4/m4a files and an HTTP server with faults.

The files are made with the imageio-ffmpeg binary (3 s ``testsrc`` video + 440 Hz sine audio).
The server maps a video id to a file by its prefix, so a test picks the behaviour per clip:

- ``v...``: the audio+video mp4; ``a...``: the audio-only m4a;
- ``n404...``: 404 Not Found; ``n403...``: 403 Forbidden;
- ``trunc...``: the mp4 announced with its full Content-Length, half sent, connection closed;
- ``slow...``: the mp4 after ``MediaServer.delay`` seconds.

Ids added to ``MediaServer.gone`` answer 404 from then on (a video removed after a first run).
``MediaServer.latency`` (seconds) delays every request (a stand-in for network round trips).
"""

from __future__ import annotations

import http.server
import subprocess
import threading
import time
from pathlib import Path

import imageio_ffmpeg
import pytest

__all__ = ["make_media", "MediaServer", "media_files", "media_server"]


def make_media(folder: Path, *, seconds: float = 3.0) -> dict[str, Path]:
    """Write ``av.mp4`` (testsrc 64x48 @ 10 fps + sine, AAC) and ``audio.m4a`` into ``folder``."""
    ff = imageio_ffmpeg.get_ffmpeg_exe()
    folder.mkdir(parents=True, exist_ok=True)
    av, audio = folder / "av.mp4", folder / "audio.m4a"
    sine = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=16000:duration={seconds}"]
    subprocess.run(
        [ff, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc=size=64x48:rate=10:duration={seconds}", *sine, "-c:v", "libx264", "-g", "10",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k", "-shortest", str(av)],
        check=True,
    )  # fmt: skip
    subprocess.run([ff, "-hide_banner", "-loglevel", "error", "-y", *sine, "-c:a", "aac", "-b:a", "32k", str(audio)],
                   check=True)  # fmt: skip
    return {"av": av, "audio": audio}


class MediaServer:
    """A threaded loopback HTTP server for :func:`make_media` files (see the module docstring)."""

    def __init__(self, media: dict[str, Path]) -> None:
        self.blobs = {k: p.read_bytes() for k, p in media.items()}
        self.latency = 0.0
        self.delay = 0.5
        self.hits: dict[str, int] = {}
        self.gone: set[str] = set()  # video ids that answer 404 from now on
        self._lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _serve(self, body: bool) -> None:
                name = self.path.rsplit("/", 1)[-1].split("?")[0]
                vid = name.rsplit(".", 1)[0]
                with server._lock:
                    server.hits[vid] = server.hits.get(vid, 0) + 1
                if server.latency:
                    time.sleep(server.latency)
                if vid.startswith("n404") or vid in server.gone:
                    return self._fail(404, "Not Found")
                if vid.startswith("n403"):
                    return self._fail(403, "Forbidden")
                if vid.startswith("slow"):
                    time.sleep(server.delay)
                blob = server.blobs["audio" if vid.startswith("a") else "av"]
                ctype = "audio/mp4" if vid.startswith("a") else "video/mp4"
                start, end = 0, len(blob) - 1
                rng = self.headers.get("Range", "")
                if rng.startswith("bytes="):
                    lo, _, hi = rng[6:].partition("-")
                    start = int(lo or 0)
                    end = min(int(hi), end) if hi else end
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(blob)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(end - start + 1))
                self.end_headers()
                if not body:
                    return
                chunk = blob[start : end + 1]
                if vid.startswith("trunc"):
                    chunk = chunk[: len(chunk) // 2]
                    self.close_connection = True
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _fail(self, code: int, text: str) -> None:
                data = f"{code} {text}".encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.template = f"http://127.0.0.1:{self.port}/media/{{video_id}}.mp4"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> MediaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def media_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The loopback media, made once per session."""
    return make_media(tmp_path_factory.mktemp("yt-media"))


@pytest.fixture
def media_server(media_files: dict[str, Path]):  # noqa: ANN201 - a generator fixture
    """A running :class:`MediaServer` (fresh hit counters per test)."""
    with MediaServer(media_files) as srv:
        yield srv
