"""Confidence calibration of the intent head: a softmax temperature chosen on validation data.

The head's scores (logistic-regression logits or linear-SVM margins) have no fixed scale,
so the temperature is searched on a wide geometric grid.
"""

from __future__ import annotations

import numpy as np

MIN_COVERAGE = 0.9
"""Share of correct validation predictions that must clear the confidence floor."""
TEMPERATURES = tuple(float(t) for t in np.round(np.geomspace(0.01, 3.0, 61), 4))
BACKGROUND = "_background"
"""Label of the hidden noise class: it soaks up probability and is never predicted."""


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    probabilities: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return probabilities


def pick_temperature(
    scores: np.ndarray,
    y: np.ndarray,
    classes: np.ndarray,
    noise_scores: np.ndarray,
    *,
    floor: float,
) -> float:
    """Largest temperature (softest probabilities) that still lets MIN_COVERAGE of the
    correct validation predictions reach `floor` while every noise probe stays under
    it; failing that, the sharpest temperature that keeps the probes under the floor.
    `floor` is the confidence the graph needs to act on an intent (the settings'
    ESCALATION_THRESHOLD, passed down by whoever trains).

    Softer is safer: a confident wrong intent acts for the customer, a hesitant one
    only hands the turn to a person.
    """
    real = classes != BACKGROUND
    correct = classes[real][scores[:, real].argmax(axis=1)] == y
    quiet = []  # temperatures that keep every noise probe under the floor
    for t in TEMPERATURES:
        conf = softmax(scores, t)[:, real].max(axis=1)
        coverage = float((conf[correct] >= floor).mean()) if correct.any() else 0.0
        if (softmax(noise_scores, t)[:, real].max(axis=1) < floor).all():
            quiet.append((coverage >= MIN_COVERAGE, t))
    if not quiet:
        return 1.0
    enough = [t for ok, t in quiet if ok]
    return float(max(enough) if enough else min(t for _, t in quiet))
