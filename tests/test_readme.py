"""The README starts with the two commands and its results table is the one the checkpoints measure."""

from core.tasks import ROOT
from training.leaderboard import refreshed_readme


def test_first_commands_are_run_and_test():
    head = (ROOT / "README.md").read_text().splitlines()[:8]
    assert any(line.startswith("make run") for line in head) and any(line.startswith("make test") for line in head)


def test_results_table_is_current():
    assert (ROOT / "README.md").read_text() == refreshed_readme(), "run: python -m training.leaderboard --write"


def test_first_python_snippet_runs_and_prints_the_cli_summary(capsys):
    """The 'Use a model' snippet, pasted into a fresh interpreter in the project folder, prints what the CLI prints."""
    import subprocess
    import sys

    from core.__main__ import main

    readme = (ROOT / "README.md").read_text()
    snippet = readme.split("## Use a model", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    pasted = subprocess.run([sys.executable, "-"], input=snippet, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert pasted.returncode == 0, pasted.stderr[-2000:]
    assert main(["predict", "ecg", str(ROOT / "spaces/ecg/examples/mitdb_119_60s.hea")]) == 0
    assert pasted.stdout == capsys.readouterr().out and pasted.stdout.startswith("66 beats in lead MLII")
