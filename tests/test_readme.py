"""The README starts with the two commands and its results table is the one the checkpoints measure."""

from core.tasks import ROOT
from training.leaderboard import refreshed_readme


def test_first_commands_are_run_and_test():
    head = (ROOT / "README.md").read_text().splitlines()[:8]
    assert any(line.startswith("make run") for line in head) and any(line.startswith("make test") for line in head)


def test_results_table_is_current():
    assert (ROOT / "README.md").read_text() == refreshed_readme(), "run: python -m training.leaderboard --write"
