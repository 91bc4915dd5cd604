# lib.sh - assertions for the command tests; sourced by run.sh.
#
# A case starts with `tcase NAME` and ends at the next tcase (or `done_all`).
# `run RC CMD...` runs a command, keeps its stdout and stderr and checks its
# exit status; the out_*/err_* checks look at what the last run printed.
# Any failed check fails the case; the case prints PASS or FAIL with the
# reasons.

passed=0
failed=0
skipped=0
CASE=""
CASE_FAIL=""

endcase() {
	[ -n "$CASE" ] || return 0
	if [ -z "$CASE_FAIL" ]; then
		passed=$((passed + 1))
		echo "PASS $CASE"
	else
		failed=$((failed + 1))
		echo "FAIL $CASE"
		printf '%s' "$CASE_FAIL"
	fi
	CASE=""
	CASE_FAIL=""
}

tcase() {
	endcase
	CASE=$1
}

# Record a failure of the current case.
fail() {
	CASE_FAIL="$CASE_FAIL    $*
"
}

skip() {
	endcase
	skipped=$((skipped + 1))
	echo "SKIP $1: $2"
}

show_last() {
	fail "  command: $LAST_CMD"
	fail "  stdout: $(head -c 600 "$T/out")"
	fail "  stderr: $(head -c 600 "$T/err")"
}

# run RC CMD...: run CMD and expect exit status RC.
run() {
	want=$1
	shift
	LAST_CMD="$*"
	"$@" >"$T/out" 2>"$T/err"
	LAST_RC=$?
	if [ "$LAST_RC" -ne "$want" ]; then
		fail "exit status $LAST_RC, expected $want"
		show_last
	fi
}

has() { # file what string
	if ! grep -qF -e "$3" "$1"; then
		fail "$2 lacks: $3"
		show_last
	fi
}

lacks() {
	if grep -qF -e "$3" "$1"; then
		fail "$2 has, but must not: $3"
		show_last
	fi
}

out_has() { for s; do has "$T/out" stdout "$s"; done; }
err_has() { for s; do has "$T/err" stderr "$s"; done; }
out_lacks() { for s; do lacks "$T/out" stdout "$s"; done; }
err_lacks() { for s; do lacks "$T/err" stderr "$s"; done; }

# out_is TEXT: stdout is exactly TEXT plus a final newline.
out_is() {
	printf '%s\n' "$1" >"$T/want"
	if ! cmp -s "$T/want" "$T/out"; then
		fail "stdout is not exactly: $1"
		show_last
	fi
}

# check DESCRIPTION CMD...: CMD must succeed.
check() {
	what=$1
	shift
	if ! "$@" >/dev/null 2>&1; then
		fail "$what ($*)"
	fi
}

no_file() {
	if [ -e "$1" ]; then
		fail "$1 exists but must not"
	fi
}

# no_temps DIR: no temporary file was left behind in DIR.
no_temps() {
	left=$(ls -A "$1" | grep -F '.tmp-' || true)
	if [ -n "$left" ]; then
		fail "temporary files left in $1: $left"
	fi
}

# flip FILE OFFSET: change one bit of the byte at OFFSET.
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((b ^ 1)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

le16() {
	printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))"
}

le32() {
	le16 $(($1 & 65535))
	le16 $(($1 >> 16))
}

# mknpy FILE MAJOR HEADER DATA_BYTES: a .npy file with any header text
# (ASCII) and DATA_BYTES zero bytes of data, for the refusal tests.
mknpy() {
	{
		printf '\223NUMPY'
		printf "\\$(printf %03o "$2")\\000"
		if [ "$2" -eq 1 ]; then le16 ${#3}; else le32 ${#3}; fi
		printf '%s' "$3"
		head -c "$4" /dev/zero
	} >"$1"
}

# The offset of a section, from embmap info.
section_offset() { # file name
	"$EMBMAP" info "$1" | awk -v n="$2" '$1 == n { print $2 }'
}

done_all() {
	endcase
	[ "$skipped" -eq 0 ] || echo "cli: $skipped skipped"
	echo "cli: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# f32int N: the four little-endian bytes of the float32 N (0 <= N < 2^24).
f32int() {
	if [ "$1" -eq 0 ]; then
		le32 0
		return
	fi
	e=0
	while [ $((1 << (e + 1))) -le "$1" ]; do e=$((e + 1)); done
	le32 $(((127 + e) << 23 | ($1 - (1 << e)) << (23 - e)))
}

# mkraw FILE ROWS DIM: row r holds r*DIM+0 .. r*DIM+DIM-1 as float32.
mkraw() {
	: >"$1"
	i=0
	while [ "$i" -lt $(($2 * $3)) ]; do
		f32int "$i"
		i=$((i + 1))
	done >"$1"
}
