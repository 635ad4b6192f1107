"""`python -m hub_upload model|dataset|space|all [TASK] --namespace NS [--dry-run --out DIR] [--limit N]`.

Stages each repo in DIR/<repo name>/ and prints its files; without --dry-run, uploads them (needs HF_TOKEN or
`hf auth login`); `all` without a task also stages the explorer Space and links everything in a collection.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import datasets

from core.errors import PhysioError
from hub_upload.staging import stage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub_upload", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("model", "dataset", "space", "all"))
    parser.add_argument("task", nargs="?", help="a registered task; required except for `all`")
    parser.add_argument("--namespace", required=True, help="Hub user or organisation")
    parser.add_argument("--dry-run", action="store_true", help="stage only, touch no network")
    parser.add_argument("--out", type=Path, help="staging folder (required with --dry-run)")
    parser.add_argument("--limit", type=int, help="keep the first N rows of every dataset split (quick builds)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    datasets.disable_progress_bars()
    if args.task is None and args.kind != "all":
        parser.error(f"`{args.kind}` needs a TASK")
    if args.dry_run and args.out is None:
        parser.error("--dry-run needs --out DIR")
    try:
        if args.dry_run:
            return _report(stage(args.kind, args.task, namespace=args.namespace, out=args.out, limit=args.limit))
        from hub_upload.publish import link_collection, publish, require_token

        token = require_token()
        with tempfile.TemporaryDirectory() as tmp:
            staged = stage(args.kind, args.task, namespace=args.namespace, out=args.out or Path(tmp), limit=args.limit)
            _report(staged)
            for url in publish(staged, token=token):
                print(f"published {url}")
            if args.kind == "all":
                print(f"collection {link_collection(staged, namespace=args.namespace, token=token)}")
        return 0
    except PhysioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _report(staged) -> int:
    for repo in staged:
        print(f"{repo.repo_type} {repo.repo_id} -> {repo.folder}")
        for name in repo.files():
            print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
