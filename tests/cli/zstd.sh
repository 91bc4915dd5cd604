#!/bin/sh
# zstd.sh - command tests of the zstd transport form: compress, unpack,
# pack --zstd, and check, info and get on transport files.
#
#   sh tests/cli/zstd.sh BUILD/embmap
#
# Not a t_*.sh case file: tests/zstd.mk runs it on its own (make test-zstd),
# with lib.sh's helpers, in a fresh temporary directory.
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: sh tests/cli/zstd.sh path/to/embmap" >&2
	exit 2
fi
EMBMAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d "${TMPDIR:-/tmp}/embmap-zstd.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 2' INT TERM
export LC_ALL=C
. "$here/lib.sh"

Z="$T/z"
mkdir -p "$Z"
mkraw "$Z/m.f32" 40 8
i=0
while [ $i -lt 40 ]; do
	echo "tok$i"
	i=$((i + 1))
done >"$Z/v.txt"

# u64 FILE OFFSET, u32 FILE OFFSET: little-endian numbers from a file.
u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
# frame_mid FILE F: the offset of the middle byte of frame F.
frame_mid() {
	e=$(($(u64 "$1" 136) + 24 * $2))
	echo $(($(u64 "$1" "$e") + $(u32 "$1" $((e + 8))) / 2))
}

tcase "zstd: compress then unpack gives the plain file back byte for byte"
run 0 "$EMBMAP" pack -q --no-sync --shape 40x8 --vocab "$Z/v.txt" \
	-o "$Z/plain.emb" "$Z/m.f32"
run 0 "$EMBMAP" compress --frame-rows 7 -o "$Z/t.zst" "$Z/plain.emb"
run 0 "$EMBMAP" unpack -o "$Z/back.emb" "$Z/t.zst"
check "unpack equals the plain file" cmp "$Z/plain.emb" "$Z/back.emb"
check "the transport file is not the plain file" \
	sh -c "! cmp -s '$Z/plain.emb' '$Z/t.zst'"
no_temps "$Z"

tcase "zstd: --no-shuffle, --level and --threads"
run 0 "$EMBMAP" compress --no-shuffle --level 3 --threads 1 \
	-o "$Z/n.zst" "$Z/plain.emb"
run 0 "$EMBMAP" info "$Z/n.zst"
out_has "transport     zstd level 3, unfiltered, 6 frames of 32768 rows"
run 0 "$EMBMAP" unpack --threads 1 -o "$Z/n.emb" "$Z/n.zst"
check "unpack equals the plain file" cmp "$Z/plain.emb" "$Z/n.emb"
run 0 "$EMBMAP" compress --no-shuffle --shuffle -o "$Z/s.zst" "$Z/plain.emb"
run 0 "$EMBMAP" info "$Z/s.zst"
out_has "zstd level 1, shuffled"

tcase "zstd: pack --zstd writes the transport form in place"
run 0 "$EMBMAP" pack --no-sync --zstd=3 --shape 40x8 --vocab "$Z/v.txt" \
	-o "$Z/p.zst" "$Z/m.f32"
err_has "p.zst: 40 rows x 8 f32, 40 tokens"
run 0 "$EMBMAP" info "$Z/p.zst"
out_has "zstd level 3, shuffled"
run 0 "$EMBMAP" unpack -o "$Z/p.emb" "$Z/p.zst"
check "pack --zstd unpacks to what pack writes" cmp "$Z/plain.emb" "$Z/p.emb"
run 0 "$EMBMAP" pack -q --no-sync --zstd --shape 40x8 -o "$Z/d.zst" \
	"$Z/m.f32"
run 0 "$EMBMAP" info "$Z/d.zst"
out_has "zstd level 1"
no_temps "$Z"
run 2 "$EMBMAP" pack --no-sync --zstd=0 --shape 40x8 -o "$Z/x.zst" "$Z/m.f32"
err_has "--zstd '0' is not a number in 1..19"
no_file "$Z/x.zst"

tcase "zstd: info shows both sizes and the ratio"
run 0 "$EMBMAP" info "$Z/t.zst"
out_has "file size     $(wc -c <"$Z/plain.emb" | tr -d ' ') bytes" \
	"transport     zstd level 1, shuffled, 11 frames of 7 rows" \
	"compressed    $(wc -c <"$Z/t.zst" | tr -d ' ') bytes (plain " \
	"ratio "
run 0 "$EMBMAP" info --json "$Z/t.zst"
out_has "\"compressed_size\": $(wc -c <"$Z/t.zst" | tr -d ' ')"
run 0 "$EMBMAP" info "$Z/plain.emb"
out_lacks "compressed"

tcase "zstd: get reads a transport file as the plain one"
run 0 "$EMBMAP" get "$Z/plain.emb" tok3 tok39
cp "$T/out" "$Z/get.plain"
run 0 "$EMBMAP" get "$Z/t.zst" tok3 tok39
check "same rows" cmp "$Z/get.plain" "$T/out"

tcase "zstd: check passes an intact transport file, writing nothing"
ls -A "$Z" >"$Z/../before"
run 0 "$EMBMAP" check "$Z/t.zst" "$Z/plain.emb"
out_has "t.zst: OK" "plain.emb: OK"
ls -A "$Z" >"$Z/../after"
check "no file written" cmp "$Z/../before" "$Z/../after"

tcase "zstd: check names each damaged frame and its rows"
cp "$Z/t.zst" "$Z/bad.zst"
flip "$Z/bad.zst" "$(frame_mid "$Z/bad.zst" 2)"
flip "$Z/bad.zst" "$(frame_mid "$Z/bad.zst" 5)"
run 1 "$EMBMAP" check "$Z/bad.zst"
out_has "bad.zst: FAILED (frame 2: matrix rows 14..20: " \
	"; frame 5: matrix rows 35..39: "
err_has "1 of 1 file FAILED"
run 1 "$EMBMAP" unpack -o "$Z/x.emb" "$Z/bad.zst"
err_has "bad.zst: " "frame 2 (matrix rows 14..20)"
no_file "$Z/x.emb"
no_temps "$Z"
run 1 "$EMBMAP" info "$Z/bad.zst"
err_has "frame 2 (matrix rows 14..20)"

tcase "zstd: damage to the frame table is named"
cp "$Z/t.zst" "$Z/tab.zst"
flip "$Z/tab.zst" $(($(u64 "$Z/tab.zst" 136) + 30))
run 1 "$EMBMAP" check "$Z/tab.zst"
out_has "tab.zst: FAILED (open: checksum mismatch: frame table checksum"
run 1 "$EMBMAP" unpack -o "$Z/x.emb" "$Z/tab.zst"
no_file "$Z/x.emb"

tcase "zstd: a truncated transport file is refused by every command"
size=$(wc -c <"$Z/t.zst" | tr -d ' ')
for n in 100 200 700 $((size / 2)) $((size - 1)); do
	head -c "$n" "$Z/t.zst" >"$Z/cut.zst"
	run 1 "$EMBMAP" check "$Z/cut.zst"
	out_has "cut.zst: FAILED (open: file truncated: "
	run 1 "$EMBMAP" unpack -o "$Z/x.emb" "$Z/cut.zst"
	run 1 "$EMBMAP" info "$Z/cut.zst"
done
no_file "$Z/x.emb"

tcase "zstd: misuse and refusals"
run 2 "$EMBMAP" compress "$Z/plain.emb"
err_has "compress: no output given (-o OUT)"
run 2 "$EMBMAP" compress --level 20 -o "$Z/x.zst" "$Z/plain.emb"
err_has "--level '20' is not a number in 1..19"
run 2 "$EMBMAP" compress --frame-rows 0 -o "$Z/x.zst" "$Z/plain.emb"
run 2 "$EMBMAP" unpack "$Z/t.zst"
err_has "unpack: no output given (-o OUT)"
run 2 "$EMBMAP" compress -o "$Z/x.zst" "$Z/t.zst"
err_has "t.zst is already in the zstd transport form"
run 2 "$EMBMAP" unpack -o "$Z/x.emb" "$Z/plain.emb"
err_has "plain.emb is not in the zstd transport form"
run 2 "$EMBMAP" compress -o "$Z/x.zst" "$Z/missing.emb"
err_has "missing.emb: No such file or directory"
cp "$Z/plain.emb" "$Z/dmg.emb"
flip "$Z/dmg.emb" 4100
run 1 "$EMBMAP" compress -o "$Z/x.zst" "$Z/dmg.emb"
err_has "dmg.emb: checksum mismatch: " "(a damaged table is not compressed)"
no_file "$Z/x.zst"
no_file "$Z/x.emb"
no_temps "$Z"
run 0 "$EMBMAP" compress --help
out_has "usage: embmap compress"
run 0 "$EMBMAP" unpack --help
out_has "usage: embmap unpack"

done_all
