"""The engine never imports the app, and `import motools` stays light."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["textual", "pandas", "inspect_ai", "tinker", "matplotlib", "scipy", "sqlite_utils", "pydantic"]


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_motools_is_light() -> None:
    mods = loaded_after("import motools")
    assert not [m for m in HEAVY if m in mods]


def test_the_engine_never_imports_textual() -> None:
    mods = loaded_after(
        "import motools, motools.workflow, motools.specs, motools.cli.main, motools.analysis, motools.store\n"
        "from motools.analysis import collate_sweep, compute_ci_df, plot_sweep_metric\n"
        "import mozoo.workflows.train_and_evaluate"
    )
    assert "textual" not in mods and "motools_tui" not in mods
    assert "pydantic" in mods  # the probe did import the engine
