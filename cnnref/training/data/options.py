"""The command-line options that say where a data set is found, for every command that loads one
(``cnnref train``, ``cnnref evaluate``): the ``data_dir`` and ``download`` of :func:`load_dataset`.
"""

from __future__ import annotations

import argparse

from ...validation import existing_folder_option


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """``--data-dir DIR`` (an existing folder) and ``--download``."""
    parser.add_argument(
        "--data-dir",
        type=existing_folder_option,
        metavar="DIR",
        help="folder holding the data set files (must exist)",
    )
    parser.add_argument("--download", action="store_true", help="fetch missing data files")
