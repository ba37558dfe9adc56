#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's test command: installs what is missing, builds, runs the whole
# suite. The last line is "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
make -j"$(nproc)" tests
exec make --no-print-directory check
