# Out of room: a write that fails with EFBIG (ulimit -f; the command
# ignores SIGXFSZ) or ENOSPC (a full file system) ends the command with
# exit status 2 and a message naming the output, and leaves no output, no
# temporary file, and an existing output as it was.

S="$W/space"
mkdir -p "$S/in" "$S/out"
mknpy "$S/in/t.npy" 4000 256 3
"$EMBMAP" pack -q --no-sync -o "$S/in/t.embmap" "$S/in/t.npy"
"$EMBMAP" compress -q -o "$S/in/t.embmapz" "$S/in/t.embmap"
printf 'the previous file\n' >"$S/in/old"

# expect_refused LABEL DIR OUT -- CMD...: run CMD (under whatever limit
# the caller set), twice: once with no OUT, once over an existing one.
expect_refused() {
	local label=$1 dir=$2 out=$3 rc
	shift 4
	for existing in no yes; do
		rm -f "$dir/$out"
		[ $existing = yes ] && cp "$S/in/old" "$dir/$out"
		"$@" >"$S/stdout" 2>"$S/err"
		rc=$?
		[ "$rc" -eq 2 ] || fail "$label: exit status $rc, expected 2"
		grep -qF "$dir/$out" "$S/err" ||
			fail "$label: the message does not name the output: $(head -c 300 "$S/err")"
		grep -qiE "$REASON" "$S/err" ||
			fail "$label: the message does not say '$REASON': $(head -c 300 "$S/err")"
		if [ $existing = yes ]; then
			cmp -s "$dir/$out" "$S/in/old" ||
				fail "$label: the existing output was changed"
		elif [ -e "$dir/$out" ]; then
			fail "$label: an output was left behind"
		fi
		local left
		left=$(leftovers "$dir" "$out")
		[ -z "$left" ] || fail "$label: left behind: $left"
		rm -f "$dir/$out"
	done
}

# The commands that write, each with its output name.
writers() { # dir
	expect_refused pack "$1" t.embmap -- \
		"$EMBMAP" pack -q -o "$1/t.embmap" "$S/in/t.npy"
	expect_refused export "$1" t.npy -- \
		"$EMBMAP" export -o "$1/t.npy" "$S/in/t.embmap"
	expect_refused compress "$1" t.embmapz -- \
		"$EMBMAP" compress -q -o "$1/t.embmapz" "$S/in/t.embmap"
	expect_refused unpack "$1" t.embmap -- \
		"$EMBMAP" unpack -q -o "$1/t.embmap" "$S/in/t.embmapz"
}

tcase "space: EFBIG (ulimit -f 1 MiB) fails cleanly for pack, export, compress, unpack"
REASON="file too large"
(
	ulimit -f 1024 # KiB, in bash
	writers "$S/out"
	# The subshell's failures go back to the case through a file.
	printf '%s' "$CASE_FAIL" >"$S/fails"
)
CASE_FAIL=$(cat "$S/fails")
[ -z "$CASE_FAIL" ] || CASE_FAIL="$CASE_FAIL
"

REASON="no space left"
mkdir -p "$S/small"
if [ "$(id -u)" -ne 0 ] ||
	! mount -t tmpfs -o size=1m embmap-harden "$S/small" 2>"$S/err"; then
	skip "space: ENOSPC" "cannot mount a small tmpfs here ($(head -c 200 "$S/err"))"
else
	tcase "space: ENOSPC (a 1 MiB tmpfs) fails cleanly for pack, export, compress, unpack"
	writers "$S/small"
	used=$(df -k "$S/small" | awk 'NR == 2 { print $3 }')
	[ "$used" -le 64 ] || fail "$used KiB still in use on the tmpfs after the failures"
	umount "$S/small" || fail "cannot unmount $S/small"
fi
rm -rf "$S"
