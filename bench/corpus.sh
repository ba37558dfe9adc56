# SPDX-License-Identifier: GPL-2.0-or-later
# bench_corpus_dir TOP: where the labelled corpus is looked for when neither
# WSID_CORPUS nor --corpus names it: ../shared/corpus beside the tree's top,
# or, from a second worktree of the repository (git worktree add), beside
# the main worktree's top.
bench_corpus_dir() {
	local top=$1 common
	if [ ! -d "$top/../shared/corpus" ] &&
		common=$(git -C "$top" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) &&
		[ -d "$(dirname "$common")/../shared/corpus" ]; then
		echo "$(dirname "$common")/../shared/corpus"
		return
	fi
	echo "$top/../shared/corpus"
}
