"""Access control (``riskboard.permissions``): who may do what, and that it depends on no app."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APPS = ("assessments", "catalogue", "audit")


def test_permissions_import_no_app_module():
    """Apps import the access-control module, never the reverse: importing it (and the roles it
    owns) in a fresh interpreter loads no module of an app."""
    script = (
        "import sys; import riskboard.permissions, riskboard.roles; "
        f"print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {APPS!r})))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []
