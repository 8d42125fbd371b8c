"""Demo data (``seed_demo``) and synthetic benchmark portfolios (``generate_portfolio``).

Both builders are deterministic: every random choice comes from a ``random.Random`` with a fixed
seed, and every date is relative to a fixed reference date rather than today, so two machines
seeded from the same code hold the same portfolio. ``demo_seed`` first plans the whole portfolio in
memory (plain dataclasses, no database access), then writes only the rows whose natural key is
missing, which makes it idempotent. Rows are written with ``bulk_create`` for speed; this bypasses
the assessment services on purpose, since the history it writes never went through a workflow.
"""

from .data import PASSWORD_ENV, USERS
from .generate import portfolio_generate
from .plan import CategoryInfo, demo_portfolio_plan
from .seed import DemoPasswordError, demo_password_resolve, demo_seed, demo_totals

__all__ = [
    "PASSWORD_ENV", "USERS", "CategoryInfo", "DemoPasswordError", "demo_password_resolve", "demo_portfolio_plan",
    "demo_seed", "demo_totals", "portfolio_generate",
]
