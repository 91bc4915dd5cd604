#!/bin/sh
# check.sh - the worked example of SPEC.md must be the bytes the library
# writes, and a reader written from SPEC.md alone must accept them.
#
# Usage: check.sh SPEC.md EXAMPLE SPEC_READER WORKDIR
#   EXAMPLE      tests/spec/example.c built against the library
#   SPEC_READER  tests/spec/spec_reader.c built against libxxhash only
#
# SPEC.md's dump is every ```hexdump block, in order. Each line is
#   OFFSET  BYTES  annotation
# with OFFSET as 8 hex digits, BYTES as two-digit hex numbers separated by
# single spaces (or "00 ... 00": zero bytes up to the next line's offset)
# and at least two spaces before the annotation. The lines must cover the
# file from offset 0 to its last byte, without gaps or overlaps.
set -u

spec=$1 example=$2 reader=$3 work=$4
here=$(dirname "$0")
pass=0 fail=0

ok() {
	pass=$((pass + 1))
	echo "  ok    $1"
}
bad() {
	fail=$((fail + 1))
	echo "  FAIL  $1"
}

# The dump in SPEC.md as one byte per line, or a message and status 1.
spec_bytes() {
	awk '
	function hex(s,   i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	function die(msg) {
		printf "SPEC.md line %d: %s\n", NR, msg > "/dev/stderr"
		failed = 1
		exit 1
	}
	/^```hexdump[ \t]*$/ { inside = 1; blocks++; next }
	inside && /^```/ { inside = 0; next }
	!inside || /^[ \t]*$/ { next }
	{
		off = substr($0, 1, 8)
		if (off !~ /^[0-9a-f]+$/ || length(off) != 8 ||
		    substr($0, 9, 2) != "  ")
			die("not \"OFFSET  BYTES  annotation\": " $0)
		rest = substr($0, 11)
		k = index(rest, "  ")
		field = k ? substr(rest, 1, k - 1) : rest
		at = hex(off)
		if (zero_from >= 0) {
			if (at <= zero_from)
				die("zero run does not end after it starts")
			for (; pos < at; pos++)
				print "00"
			zero_from = -1
		}
		if (at != pos)
			die(sprintf("offset %s, the dump so far ends at %08x",
				    off, pos))
		if (field == "00 ... 00") {
			zero_from = pos
			next
		}
		n = split(field, b, " ")
		for (i = 1; i <= n; i++) {
			if (b[i] !~ /^[0-9a-f][0-9a-f]$/)
				die("not a hex byte: \"" b[i] "\"")
			print b[i]
			pos++
		}
	}
	BEGIN { zero_from = -1; pos = 0 }
	END {
		if (failed)
			exit 1
		if (blocks == 0)
			die("no ```hexdump block")
		if (inside)
			die("unterminated ```hexdump block")
		if (zero_from >= 0)
			die("the dump ends in a zero run; a file ends with a section")
	}' "$1"
}

file_bytes() {
	od -A n -v -t x1 "$1" | tr -s ' ' '\n' | sed '/^$/d'
}

# Compare SPEC.md's dump with a file; print the first difference.
dump_matches() {
	spec_bytes "$spec" >"$work/spec.bytes" || return 1
	file_bytes "$1" >"$work/file.bytes"
	awk 'NR == FNR { want[FNR - 1] = $1; n = FNR; next }
	{
		if (FNR > n) {
			printf "file is longer than the dump (%d bytes)\n", n
			failed = 1
			exit 1
		}
		if ($1 != want[FNR - 1]) {
			printf "offset 0x%x: SPEC.md has %s, the file %s\n",
			       FNR - 1, want[FNR - 1], $1
			failed = 1
			exit 1
		}
		m = FNR
	}
	END {
		if (!failed && m < n) {
			printf "file is %d bytes, the dump %d\n", m, n
			exit 1
		}
	}' "$work/spec.bytes" "$work/file.bytes"
}

mkdir -p "$work" "$work/variants"
echo "spec: the worked example of $spec"

# The writer is deterministic: the same table gives the same bytes.
if "$example" "$work/example.emb" && "$example" "$work/again.emb" &&
	cmp -s "$work/example.emb" "$work/again.emb"; then
	ok "the example is written, verified by the library, reproducible"
else
	bad "the example is written, verified by the library, reproducible"
fi

if msg=$(dump_matches "$work/example.emb" 2>&1); then
	ok "SPEC.md's hex dump is the example file, byte for byte"
else
	bad "SPEC.md's hex dump is the example file, byte for byte: $msg"
fi

# The comparison must see a one-byte change (the matrix's first byte).
cp "$work/example.emb" "$work/damaged.emb"
printf '\001' | dd of="$work/damaged.emb" bs=1 seek=4096 conv=notrunc \
	2>/dev/null
if msg=$(dump_matches "$work/damaged.emb" 2>&1); then
	bad "the dump comparison notices a changed byte"
else
	ok "the dump comparison notices a changed byte ($msg)"
fi

if "$reader" "$work/example.emb" hello >"$work/reader.out" 2>&1 &&
	diff -u "$here/example.expected" "$work/reader.out" >"$work/reader.diff"; then
	ok "the reader written from SPEC.md decodes the example as expected"
else
	bad "the reader written from SPEC.md decodes the example as expected"
	cat "$work/reader.out" "$work/reader.diff" 2>/dev/null | sed 's/^/        /'
fi

# A refusal must be the reader's own, not a sanitizer stopping it.
if "$reader" "$work/damaged.emb" >/dev/null 2>"$work/damaged.err" ||
	grep -q Sanitizer "$work/damaged.err"; then
	bad "the reader written from SPEC.md refuses a damaged block"
	sed 's/^/        /' "$work/damaged.err"
else
	ok "the reader written from SPEC.md refuses a damaged block:\
 $(cat "$work/damaged.err")"
fi

if "$example" --variants "$work/variants"; then
	for f in "$work/variants"/*.emb; do
		name=$(basename "$f")
		if "$reader" "$f" >/dev/null 2>"$work/variant.err"; then
			ok "the reader written from SPEC.md accepts $name"
		else
				bad "the reader written from SPEC.md accepts $name:\
 $(cat "$work/variant.err")"
		fi
	done
else
	bad "the variants are written"
fi

echo "spec: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
