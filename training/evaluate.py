"""Evaluate a shipped checkpoint on its protocol's test part: `python -m training.evaluate TASK [--variant V]`.

Prints the metrics as JSON on stdout; each task's `training/<task>.py:evaluate_main(argv)` does the work.
"""

from training._dispatch import dispatch

if __name__ == "__main__":
    dispatch("evaluate_main", "python -m training.evaluate")
