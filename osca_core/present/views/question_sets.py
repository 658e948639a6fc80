"""Which questions a per-question view counts: the **test** questions of the split the view scores on (the
default: the questions every number of the Curves page is measured on), its **training** questions, or **all**.

On the dataset's own split the masks are the matrix's ``train`` / ``test``; on random splits they are those of the
split the page's allocations were fitted on (split 0 of the setting). An in-sample dataset puts every question in
both, so the three sets coincide and the label says so.
"""

from __future__ import annotations

import numpy as np

from osca_core.errors import InputError

QUESTION_SETS = ("test", "training", "all")
DEFAULT_SET = "test"


def question_set_mask(train: np.ndarray, test: np.ndarray, which: str) -> np.ndarray:
    """The boolean mask over questions of the set ``which`` (:data:`QUESTION_SETS`)."""
    train, test = np.asarray(train, dtype=bool), np.asarray(test, dtype=bool)
    if which == "test":
        return test.copy()
    if which == "training":
        return train.copy()
    if which == "all":
        return train | test | ~(train | test)
    raise InputError(f"question set must be one of {', '.join(QUESTION_SETS)}, not {which!r}")


def question_set_label(which: str, count: int, total: int, split_text: str, *, in_sample: bool) -> str:
    """One line naming the questions counted, e.g. 'Counting the 78 test questions of 148 (release split)'."""
    what = {"test": "test questions", "training": "training questions", "all": "questions"}[which]
    line = f"Counting the {count} {what} of {total} ({split_text})"
    if in_sample:
        line += "; in-sample dataset: training and test questions are the same"
    elif which != "all":
        line += f"; the {'training' if which == 'test' else 'test'} questions are a switch away"
    return line + "."
