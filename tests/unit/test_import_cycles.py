"""Every module of ours imports first, on its own: no import cycle hides behind import order.

A cycle (``a`` imports ``b`` which imports ``a``) only breaks when ``a`` is the first of the two
to be imported, so the suite's own import order can mask it. One fresh interpreter imports each
module after forgetting every module of ours it loaded before.
"""

from __future__ import annotations

import sys
from pathlib import Path

from newswire_testing.commands import run_process

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("schemas", "newswire", "consumers")

_PROBE = """
import importlib, sys, traceback
ours = {packages!r}
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ours]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc().strip().splitlines()[-1])
print("\\n".join(failed))
"""


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__main__":
                continue
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return names


def test_every_module_imports_when_it_is_the_first_of_ours_to_be_imported() -> None:
    modules = _modules()
    assert "newswire.bootstrap" in modules
    probe = run_process(
        [sys.executable, "-c", _PROBE.format(packages=PACKAGES), *modules], cwd=ROOT, timeout=600
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "", f"modules that fail to import first:\n{probe.stdout}"
