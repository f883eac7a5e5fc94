"""House rules of the code base itself: test isolation, layers, public API, start-up cost."""

from __future__ import annotations

import os


def test_no_test_sees_the_shells_newsletter_variables() -> None:
    """The autouse fixture in conftest.py clears NEWSLETTER_* (make pytest-shifted exports some)."""
    assert [k for k in os.environ if k.startswith("NEWSLETTER_")] == []
