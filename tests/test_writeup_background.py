"""derive draws the figures in a forked child while the theorems are proved (writeup.document._Background)."""
from __future__ import annotations

import time

import pytest

from symconv.writeup.document import _Background


def _fails() -> None:
    raise ValueError("no figure today")


def test_the_child_returns_its_value_and_reraises_its_error():
    assert _Background(lambda: {"figures/a.pdf": b"%PDF"}).result() == {"figures/a.pdf": b"%PDF"}
    with pytest.raises(RuntimeError, match="ValueError: no figure today"):
        _Background(_fails).result()


def test_cancel_stops_a_child_that_is_still_working():
    job = _Background(lambda: time.sleep(60))
    started = time.monotonic()
    job.cancel()
    assert time.monotonic() - started < 30
    assert job.process is None or not job.process.is_alive()
