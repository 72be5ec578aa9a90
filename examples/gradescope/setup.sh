#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image. The autograder zip holds
# setup.sh, run_autograder and the cnnref project folder (see docs/grading.md), unpacked into
# /autograder/source. AUTOGRADER_SOURCE and PYTHON override the defaults for a trial run by hand.
set -euo pipefail

SOURCE="${AUTOGRADER_SOURCE:-/autograder/source}"
PYTHON="${PYTHON:-python3}"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ -z "${SKIP_APT:-}" ]; then
    apt-get update -q
    # bubblewrap: the sandbox of each student's code (without it the grader falls back, and says so)
    apt-get install -y -q --no-install-recommends python3 python3-pip python3-dev build-essential \
        bubblewrap
fi

"$PYTHON" -m pip install --no-cache-dir "$SOURCE/cnnref"
"$PYTHON" -m cnnref --version
