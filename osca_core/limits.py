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
| ``MAX_VIEW_WORK`` | 2e8 | questions x configurations x budgets of one dashboard view (the cells every strategy's pass@C is
  evaluated on, once per budget of the grid): above it a page asks for fewer budgets or a narrower selection. The
  count of configurations alone is no limit: 1000 questions x 1024 configurations x 10 budgets is 1e7 |
| ``TABLE_BYTES_MAX`` | 2 GiB | fail tables beyond n: training questions x configurations x (largest count + 1) x 8 bytes (S = 1024, Q = 400, budgets 1..64: 213 MiB) |
| ``VISITOR_MAX_MB`` | 50 | viewer mode: MB a visitor uploads per session (also the server's upload limit per file) |
| ``VISITOR_MAX_DATASETS`` | 3 | viewer mode: datasets in a visitor's temporary store |
| ``VISITOR_MAX_STORES`` | 64 | viewer mode: visitors' temporary stores alive at once in one server |
"""

from __future__ import annotations

MAX_BUDGET = 100_000
DEFAULT_BUDGET_CAP = 1024
MAX_SPLITS = 1000
MAX_CERTIFY_BUDGETS = 4096
MAX_COST = 1e12
MAX_BOOTSTRAP = 100_000
MIN_SPLIT_QUESTIONS = 10
MAX_VIEW_WORK = 200_000_000
TABLE_BYTES_MAX = 2**31
VISITOR_MAX_MB = 50
VISITOR_MAX_DATASETS = 3
VISITOR_MAX_STORES = 64
