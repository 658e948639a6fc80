"""Work limits shared by the command line and the dashboard: a request above one is refused in one line naming
the limit (and, in the CLI, the flag).

| limit | value | why |
|---|---|---|
| ``MAX_BUDGET`` | 100000 | largest budget (``--budgets``); also the largest budget / smallest ``--cost`` |
| ``DEFAULT_BUDGET_CAP`` | 1024 | default budgets (``savings``, ``study``) stop here even when n is larger |
| ``MAX_SPLITS`` | 1000 | ``--splits``: each split re-runs every strategy; the masks alone take Q bytes each |
| ``MAX_CERTIFY_BUDGETS`` | 4096 | ``--certify``: the certificates reuse work across budgets (BigCodeBench 1..291 in ~2 s) |
| ``MAX_COST`` | 1e12 | largest ``--cost`` value (larger ones overflow the optimizer's arithmetic) |
| ``MAX_BOOTSTRAP`` | 100000 | ``--bootstrap B``: the (B, Q) resample counts and the (B, strategies, budgets) replicates |
| ``MIN_SPLIT_QUESTIONS`` | 10 | fewer training or test questions in a random split: warned about |
| ``MAX_VIEW_CONFIGS`` | 64 | configurations per dashboard view: above it a page asks to narrow the selection |
"""

from __future__ import annotations

MAX_BUDGET = 100_000
DEFAULT_BUDGET_CAP = 1024
MAX_SPLITS = 1000
MAX_CERTIFY_BUDGETS = 4096
MAX_COST = 1e12
MAX_BOOTSTRAP = 100_000
MIN_SPLIT_QUESTIONS = 10
MAX_VIEW_CONFIGS = 64
