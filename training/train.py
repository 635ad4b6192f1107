"""Train a task's model: `python -m training.train TASK [--field value ...]` (see `--help` after the task name)."""

from training._dispatch import dispatch

if __name__ == "__main__":
    dispatch("main", "python -m training.train")
