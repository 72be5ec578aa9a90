"""The ``cnnref`` command: one entry point over the reference and the oracle and grader.

Subcommands: verify, grade (the oracle and the grader), train, evaluate, bench (the reference). Each
lives in its own module, imported only when the parser is built.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence

# The help's own words: plain text, not the docstring's reStructuredText.
DESCRIPTION = (
    "The cnnref command: one entry point over the reference CNN, its gradient oracle and grader."
)
# subcommand → (module providing add_arguments(parser) and run(args) -> int, one-line help)
SUBCOMMANDS = {
    "verify": ("cnnref.commands.verify", "check every gradient of the reference with the oracle"),
    "grade": ("cnnref.commands.grade", "grade student submissions against the reference"),
    "train": ("cnnref.commands.train", "train the notes' network on real data"),
    "evaluate": ("cnnref.commands.evaluate", "evaluate a training checkpoint on a test set"),
    "bench": ("cnnref.commands.bench", "time cnnref side by side with PyTorch"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnref",
        description=DESCRIPTION,
        epilog="Each command's options: cnnref COMMAND --help",
    )
    parser.add_argument("--version", action="version", version=f"cnnref {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is None or not module_name.startswith(error.name):
                raise
            sub_parser.set_defaults(_unavailable=f"'cnnref {name}' is not available: {error}")
            continue
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_run=module.run)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "_unavailable", None):
        print(args._unavailable, file=sys.stderr)
        return 2
    try:
        status = int(args._run(args) or 0)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # The reader went away (`cnnref verify | head`): stop quietly, as Unix tools do, and keep
        # the interpreter's final flush from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
