#!/bin/sh
# Tests of the safetensors, GGUF and llm.c readers and the tokenizer.json,
# encoder.json, GGUF and llm.c vocabularies: the unit tests over fixtures
# written by conv_a_fix.py, then embmap pack end to end with the results
# read back through the library (conv_a_verify), then the same over the
# real files in ../shared/samples when that folder is present.
#
# usage: tests/conv/conv_a_run.sh WORKDIR EMBMAP (WORKDIR holds test_conv_a
# and conv_a_verify; run from the repository's root)
set -u

W=$1
EMBMAP=$2
T=tests/conv
FIX=$W/fix
OUT=$W/out
SAMPLES=../shared/samples
PY=/usr/bin/python3
pass=0
fail=0

ok() { pass=$((pass + 1)); }
no() {
	fail=$((fail + 1))
	echo "FAIL: $*" >&2
}

# expect_pack NAME RC TEXT ARGS...: embmap pack ARGS into OUT/NAME.embmap
# must exit with RC and, unless TEXT is empty, say TEXT on stderr; a failed
# pack must leave nothing behind.
expect_pack() {
	name=$1 rc=$2 text=$3
	shift 3
	"$EMBMAP" pack -q --no-sync -o "$OUT/$name.embmap" "$@" \
		>"$OUT/$name.stdout" 2>"$OUT/$name.stderr"
	got=$?
	if [ "$got" -ne "$rc" ]; then
		no "$name: exit $got, expected $rc: $(cat "$OUT/$name.stderr")"
		return 1
	fi
	if [ -n "$text" ] && ! grep -qF -- "$text" "$OUT/$name.stderr"; then
		no "$name: stderr lacks '$text': $(cat "$OUT/$name.stderr")"
		return 1
	fi
	if [ "$rc" -ne 0 ] && [ -e "$OUT/$name.embmap" ]; then
		no "$name: a failed pack left $OUT/$name.embmap"
		return 1
	fi
	ok
}

# check NAME CHECKS...: conv_a_verify on OUT/NAME.embmap.
check() {
	name=$1
	shift
	if "$W/conv_a_verify" "$OUT/$name.embmap" "$@"; then
		ok
	else
		no "$name: conv_a_verify $*"
	fi
}

# pack_check NAME PACK-ARGS... -- CHECKS...
pack_check() {
	name=$1
	shift
	args=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		args="$args $1"
		shift
	done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086 # the pack arguments have no spaces
	expect_pack "$name" 0 "" $args && check "$name" "$@"
}

rm -rf "$FIX" "$OUT"
mkdir -p "$OUT"
if ! "$PY" "$T/conv_a_fix.py" "$FIX" >/dev/null; then
	echo "conv-a: conv_a_fix.py failed"
	exit 1
fi

# --- unit tests of the readers ------------------------------------------
"$W/test_conv_a" "$FIX" >"$W/unit.log" 2>&1
up=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$W/unit.log")
uf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$W/unit.log")
if [ -z "$up" ]; then
	echo "FAIL: test_conv_a did not run to its summary:" >&2
	tail -20 "$W/unit.log" >&2
	fail=$((fail + 1))
else
	pass=$((pass + up))
	fail=$((fail + ${uf:-0}))
	[ "${uf:-0}" -eq 0 ] || grep -E '^(ERROR|\[  (ERROR|FAILED) )' \
		"$W/unit.log" >&2
fi

# --- embmap pack, read back through the library -------------------------
F=$FIX
pack_check st_f32 "$F/st_f32.safetensors" -- --shape 12x5 --dtype f32 \
	--salt 0 --tokens 0 --meta source.format=safetensors \
	--meta source.tensor=transformer.wte.weight \
	--meta safetensors.format=pt --meta safetensors.note=tiny
pack_check st_f16 "$F/st_f16.safetensors" -- --shape 7x4 --dtype f16 --salt 2 \
	--meta source.tensor=model.embed_tokens.weight
pack_check st_bf16 "$F/st_bf16.safetensors" -- --shape 9x3 --dtype bf16 \
	--salt 5 --meta source.tensor=embeddings
pack_check st_f64 "$F/st_f64.safetensors" -- --shape 6x2 --dtype f32 \
	--salt 7 --meta source.dtype=f64
pack_check st_vocab "$F/st_f32.safetensors" --vocab "$F/tok_12.json" -- \
	--shape 12x5 --salt 0 --tokens-file "$F/tok_12.tokens" --find w11=11
pack_check st_tensor --tensor fc2.weight "$F/st_choose.safetensors" -- \
	--shape 5x2 --salt 4 --meta source.tensor=fc2.weight
pack_check gg_f32 "$F/gg_f32.gguf" -- --shape 8x6 --dtype f32 --salt 3 \
	--tokens-file "$F/gg_f32_v3.tokens" --find Ġthe=1 \
	--meta "gguf.general.name=tiny test" --meta gguf.tokenizer.ggml.model=gpt2 \
	--meta source.format=gguf
pack_check gg_f16 "$F/gg_f16_v2.gguf" -- --shape 8x6 --dtype f16 --salt 8 \
	--tokens-file "$F/gg_f16_v2_align64.tokens"
pack_check gg_bf16 "$F/gg_bf16.gguf" -- --shape 8x6 --dtype bf16 --salt 12 \
	--tokens 8
pack_check gg_padded "$F/gg_padded.gguf" -- --shape 12x6 --salt 6 \
	--tokens-file "$F/gg_rows_past_tokens.tokens"
pack_check gg_tensor --tensor output.weight "$F/gg_f16_v2.gguf" -- \
	--shape 8x6 --dtype f32 --salt 1 --meta source.tensor=output.weight
expect_pack gg_vocab_mismatch 1 "vocabulary has 8 tokens, the table 4 rows" \
	"$F/gg_notok.gguf" --vocab "$F/gg_vocab.gguf"
pack_check gg_vocab_file "$F/gg_f32.gguf" --vocab "$F/gg_vocab.gguf" -- \
	--shape 8x6 --salt 3 --tokens-file "$F/gg_vocab_only.tokens"
pack_check gg_vocab_enc "$F/gg_f32.gguf" --vocab "$F/enc_8.json" -- \
	--shape 8x6 --salt 3 --tokens-file "$F/gg_vocab_only.tokens"
pack_check llmc_f32 "$F/llmc_f32.bin" --vocab "$F/llmc_tok_10.bin" -- \
	--shape 16x8 --dtype f32 --salt 13 --tokens-file "$F/llmc_tok_10.tokens" \
	--meta llmc.vocab_size=10 --meta source.format=llmc
pack_check llmc_bf16 "$F/llmc_bf16.bin" -- --shape 16x4 --dtype bf16 \
	--salt 21 --tokens 0
expect_pack llmc_vocab_count 1 "vocabulary has 5 tokens, the table 10 rows" \
	"$F/llmc_f32.bin" --vocab "$F/llmc_tok_v2.bin"

# Equal tokens on two ids: refused unless --allow-duplicates.
expect_pack dup 1 "" "$F/gg_notok.gguf" --vocab "$F/llmc_tok_dup.bin" &&
	if grep -qF "token 2" "$OUT/dup.stderr" &&
		grep -qF "token 0" "$OUT/dup.stderr"; then
		ok
	else
		no "dup: the message names neither id: $(cat "$OUT/dup.stderr")"
	fi
pack_check dup_allowed --allow-duplicates "$F/gg_notok.gguf" \
	--vocab "$F/llmc_tok_dup.bin" -- --tokens 4 --find a=0 --token 2=a

# Damaged inputs through the command: exit 1, "embmap: FILE: message".
expect_pack bad_st 1 "embmap: $F/st_overlap.safetensors: header: tensor \
\"b\" [16, 40) overlaps tensor \"a\" [0, 24)" "$F/st_overlap.safetensors"
expect_pack bad_st_tensor 1 "no tensor \"nope\" (--tensor); 2-D tensors: \
\"fc1.weight\" [4, 3] F32" --tensor nope "$F/st_choose.safetensors"
expect_pack bad_gg 1 "embmap: $F/gg_n_dims_5.gguf: tensor info 0 \
(\"token_embd.weight\"): n_dims 5 outside 1..4" "$F/gg_n_dims_5.gguf"
expect_pack bad_gg_vocab_only 1 "use it with --vocab" "$F/gg_vocab.gguf"
expect_pack bad_llmc 1 "412 bytes missing" "$F/llmc_truncated_in_wte.bin"
expect_pack bad_tokjson 1 "embmap: $F/tokjson_shared_id.json: model.vocab: \
tokens \"b\" and \"c\" share id 1" \
	"$F/gg_notok.gguf" --vocab "$F/tokjson_shared_id.json"
expect_pack bad_tokjson_gap 1 "id 1 is missing" \
	"$F/gg_notok.gguf" --vocab "$F/tokjson_gap.json"
expect_pack bad_llmctok 1 "truncated: token 4 at offset 1040" \
	"$F/llmc_f32.bin" --vocab "$F/llmctok_truncated_in_token.bin"
expect_pack bad_gguf_vocab 1 "(array element 2)" \
	"$F/gg_notok.gguf" --vocab "$F/gg_token_length_huge_vocab.gguf"
expect_pack missing 2 "cannot open" "$F/no-such-file.safetensors"

# --- the real files in ../shared/samples, when present ------------------
if [ ! -d "$SAMPLES" ]; then
	echo "conv-a: $SAMPLES is absent: skipping the tests on real files"
else
	M2V=$SAMPLES/safetensors
	pack_check m2v_f32 "$M2V/model2vec-f32/model.safetensors" \
		--vocab "$M2V/model2vec-f32/tokenizer.json" -- --shape 29528x2 \
		--dtype f32 --tokens 29528 --find "[CLS]=2" --find hello=6598 \
		--meta source.tensor=embeddings
	pack_check m2v_f16 "$M2V/model2vec-f16/model.safetensors" \
		--vocab "$M2V/model2vec-f32/tokenizer.json" -- --shape 29528x2 \
		--dtype f16 --tokens 29528 --find hello=6598
	# Row "hello" as embmap get prints it, against the file's own bytes.
	for t in f32 f16; do
		want=$("$PY" -c '
import json, struct, sys
d = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", d[:8])[0]
e = json.loads(d[8:8 + n])["embeddings"]
size = 4 if e["dtype"] == "F32" else 2
at = 8 + n + e["data_offsets"][0] + 6598 * 2 * size
v = struct.unpack("<2" + ("f" if size == 4 else "e"), d[at:at + 2 * size])
print("hello\t6598\t%.9g %.9g" % v)' "$M2V/model2vec-$t/model.safetensors")
		got=$("$EMBMAP" get "$OUT/m2v_$t.embmap" hello)
		if [ "$got" = "$want" ]; then
			ok
		else
			no "m2v_$t: get hello gave '$got', the file holds '$want'"
		fi
	done
	expect_pack mlp_no_tensor 1 "no tensor has a well-known embedding \
name; choose one with --tensor NAME (2-D tensors: \"fc1.weight\" [20, 10] \
F32, \"fc2.weight\" [10, 20] F32)" \
		"$M2V/mlp-save_model/model.safetensors"
	pack_check mlp_fc1 --tensor fc1.weight \
		"$M2V/mlp-save_model/model.safetensors" -- --shape 20x10 \
		--meta source.tensor=fc1.weight
	for v in gpt-2:50257 llama-spm:32000 bert-bge:30522; do
		name=${v%%:*} n=${v#*:}
		"$PY" "$T/conv_a_fix.py" --table "$n" "$OUT/table_$n.safetensors"
		case $name in
		gpt-2) finds="--find Ġthe=262 --find hello=31373 --find !=0" ;;
		llama-spm) finds="--find ▁the=278 --find <s>=1 --find <unk>=0" ;;
		bert-bge) finds="--find [CLS]=101 --find [SEP]=102 --find ▁the=1996" ;;
		esac
		# shellcheck disable=SC2086 # the finds have no spaces
		pack_check "gguf_$name" "$OUT/table_$n.safetensors" \
			--vocab "$SAMPLES/ggml-vocab-$name.gguf" -- --shape "${n}x2" \
			--salt 0 --tokens "$n" $finds
	done
fi

echo "conv-a: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
