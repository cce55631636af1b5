"""The sink writes each buffer and hashes exactly the bytes written, in order (threaded or not)."""

from __future__ import annotations

import hashlib
import random

import pytest

from avbench.download._sink import Sink
from avbench.download.verify import Hasher


@pytest.mark.parametrize("threaded", [True, False])
def test_hash_is_the_hash_of_the_bytes_written_in_order(tmp_path, threaded):
    rng = random.Random(7)
    part = tmp_path / "f.part"
    hasher = Hasher(["sha256", "md5"])
    sent = hashlib.sha256()
    with open(part, "wb", buffering=0) as fh:
        sink = Sink(fh, hasher, part, threaded=threaded, bufsize=1 << 12, depth=3)
        for _ in range(200):  # buffers are reused: a buffer refilled before it was hashed would show here
            buf = sink.buffer()
            n = rng.randrange(1, len(buf) + 1)
            chunk = rng.randbytes(n)
            buf[:n] = chunk
            sent.update(chunk)
            sink.submit(n)
        sink.close()
    data = part.read_bytes()
    assert hasher.size == len(data)
    assert hasher.hexdigest("sha256") == hashlib.sha256(data).hexdigest() == sent.hexdigest()
    assert hasher.hexdigest("md5") == hashlib.md5(data).hexdigest()


def test_a_write_failure_is_raised_in_the_receiving_thread_and_nothing_unwritten_is_hashed(tmp_path):
    class Full:
        def __init__(self) -> None:
            self.calls = 0

        def write(self, view: memoryview) -> int:
            self.calls += 1
            if self.calls > 2:
                raise OSError(28, "No space left on device")
            return len(view)

    hasher = Hasher(["sha256"])
    sink = Sink(Full(), hasher, tmp_path / "f.part", threaded=True, bufsize=1 << 12, depth=2)
    with pytest.raises(Exception, match="disk full while writing"):
        for _ in range(5):
            buf = sink.buffer()
            buf[:10] = b"0123456789"
            sink.submit(10)
    sink.close()
    assert hasher.size == 20  # the two buffers written, not the one that failed
