"""How a reply says when to try again ("about 3 minutes")."""

from __future__ import annotations

import math


def wait_words(seconds: float) -> str:
    """Seconds as a customer would say them, rounded up: '40 seconds', 'about 3 minutes',
    'about 2 hours'."""
    if seconds < 60:
        n = max(1, math.ceil(seconds))
        return f"{n} second{'s' * (n != 1)}"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"about {minutes} minute{'s' * (minutes != 1)}"
    hours = math.ceil(minutes / 60)
    return f"about {hours} hours"
