# Stored dtypes through the command: pack --dtype and --saturate, stats
# (with and without --against), info's i8 scale range, export of f16, bf16
# and i8 tables to .npy. Sourced by run.sh.

DT="$T/dtype"
mkdir -p "$DT"

# dt_raw32 FILE WORD...: little-endian float32 values given as bit patterns.
dt_raw32() {
	dt_f=$1
	shift
	: >"$dt_f"
	for dt_w; do le32 $((dt_w)) >>"$dt_f"; done
}

# 2 x 3: 1 -2 0.5 / 3 0 -0.25, exact in every dtype but i8.
dt_raw32 "$DT/t.f32" 0x3f800000 0xc0000000 0x3f000000 \
	0x40400000 0x00000000 0xbe800000
# 70000 at row 1, column 2 does not fit f16.
dt_raw32 "$DT/big.f32" 0x3f800000 0xc0000000 0x3f000000 \
	0x40400000 0x00000000 0x4788b800
# A NaN and an infinity in row 0.
dt_raw32 "$DT/nan.f32" 0x7fc00000 0x3f800000 0x7f800000 \
	0x40400000 0x00000000 0xbe800000

tcase "dtype: stats --help prints usage, exit 0"
run 0 "$EMBMAP" stats --help
out_has "usage: embmap stats" "--against SOURCE"
check "stderr is empty" test ! -s "$T/err"

tcase "dtype: stats without FILE is a usage error"
run 2 "$EMBMAP" stats
err_has "no FILE given" "embmap stats --help"

tcase "dtype: stats --shape without --against is a usage error"
run 2 "$EMBMAP" stats --shape 2x3 "$DT/t.f32"
err_has "need --against"

tcase "dtype: stats refuses a file that is not embmap"
run 1 "$EMBMAP" stats "$DT/t.f32"
err_has "t.f32"

for dty in f32 f16 bf16 i8; do
	tcase "dtype: pack --dtype $dty of raw input"
	run 0 "$EMBMAP" pack -q --no-sync --dtype $dty --from raw --shape 2x3 \
		-o "$DT/t_$dty.emb" "$DT/t.f32"
	run 0 "$EMBMAP" check "$DT/t_$dty.emb"
done

for dty in f32 f16 bf16; do
	tcase "dtype: stats of a $dty table: exact figures, no error"
	run 0 "$EMBMAP" stats "$DT/t_$dty.emb" --against "$DT/t.f32" \
		--from raw --shape 2x3
	out_has "shape         2 x 3 $dty" \
		"values        min -2  max 3  mean 0.375" \
		"row L2 norms  min 2.29128785  max 3.01039864" \
		"nan           0" "inf           0" \
		"against       $DT/t.f32 (raw, 2 x 3 f32)" \
		"compared      6 values finite on both sides; 0 NaN" \
		"max abs error 0 at row 0, column 0" "RMS error     0"
	out_lacks "i8 scales"
done

# Row 0's largest |x| is 2, row 1's 3: scale = max / 127 rounded up to
# float32, 0x3c810205 and 0x3cc18307.
tcase "dtype: stats of an i8 table: scale range, error within half a step"
run 0 "$EMBMAP" stats "$DT/t_i8.emb" --against "$DT/t.f32" --from raw \
	--shape 2x3
out_has "shape         2 x 3 i8" \
	"i8 scales     min 0.0157480333  max 0.023622049  (0 rows with scale 0)"
dt_err=$(awk '/^max abs error/ { print $4 }' "$T/out")
check "max abs error $dt_err <= 0.023622049 / 2" \
	awk -v e="$dt_err" 'BEGIN { exit !(e > 0 && e <= 0.023622049 / 2) }'

tcase "dtype: info shows the i8 scale range, text and JSON"
run 0 "$EMBMAP" info "$DT/t_i8.emb"
out_has "i8 scales     0.0157480333 .. 0.023622049"
run 0 "$EMBMAP" info --json "$DT/t_i8.emb"
out_has '"scale_min": 0.0157480333' '"scale_max": 0.023622049'
run 0 "$EMBMAP" info "$DT/t_f16.emb"
out_lacks "i8 scales"

tcase "dtype: stats --json gives the same figures"
run 0 "$EMBMAP" stats --json "$DT/t_i8.emb" --against "$DT/t.f32" \
	--from raw --shape 2x3
out_has '"dtype": "i8"' '"min": -2.0000002' '"nan": 0' \
	'"scale_min": 0.01574803' '"zero_scale_rows": 0' \
	'"max_abs_error": {' '"source_dtype": "f32"' '"compared": 6'

tcase "dtype: stats --against refuses a shape mismatch, naming both"
run 1 "$EMBMAP" stats "$DT/t_f16.emb" --against "$DT/t.f32" --from raw \
	--shape 3x2
err_has "shape 3 x 2 differs from $DT/t_f16.emb's 2 x 3"
out_lacks "values"

tcase "dtype: pack --dtype f16 refuses 70000 naming row, column, value"
run 1 "$EMBMAP" pack -q --no-sync --dtype f16 --from raw --shape 2x3 \
	-o "$DT/big.emb" "$DT/big.f32"
err_has "row 1, column 2: value 70000 overflows f16 (largest finite 65504)"
no_file "$DT/big.emb"
no_temps "$DT"

tcase "dtype: pack --saturate clamps to 65504; stats shows the error"
run 0 "$EMBMAP" pack -q --no-sync --dtype f16 --saturate --from raw \
	--shape 2x3 -o "$DT/big.emb" "$DT/big.f32"
run 0 "$EMBMAP" stats "$DT/big.emb" --against "$DT/big.f32" --from raw \
	--shape 2x3
out_has "values        min -2  max 65504" \
	"max abs error 4496 at row 1, column 2 (stored 65504, source 70000)"

tcase "dtype: stats counts NaN and infinities; they agree with the source"
run 0 "$EMBMAP" pack -q --no-sync --from raw --shape 2x3 \
	-o "$DT/nan.emb" "$DT/nan.f32"
run 0 "$EMBMAP" stats "$DT/nan.emb" --against "$DT/nan.f32" --from raw \
	--shape 2x3
out_has "nan           1" "inf           1" \
	"row L2 norms  min 3.01039864  max 3.01039864  (over 1 rows" \
	"compared      4 values finite on both sides; 0 NaN or infinite"

tcase "dtype: i8 refuses NaN; --saturate makes it 0 and inf the row max"
run 1 "$EMBMAP" pack -q --no-sync --dtype i8 --from raw --shape 2x3 \
	-o "$DT/nan8.emb" "$DT/nan.f32"
err_has "row 0, column 0: value nan cannot be stored in i8"
no_file "$DT/nan8.emb"
run 0 "$EMBMAP" pack -q --no-sync --dtype i8 --saturate --from raw \
	--shape 2x3 -o "$DT/nan8.emb" "$DT/nan.f32"
run 0 "$EMBMAP" stats "$DT/nan8.emb" --against "$DT/nan.f32" --from raw \
	--shape 2x3
out_has "nan           0" "inf           0" \
	"compared      4 values finite on both sides; 2 NaN or infinite"

tcase "dtype: export writes f16 as '<f2' and widens bf16 and i8, saying so"
run 0 "$EMBMAP" export -o "$DT/t16.npy" "$DT/t_f16.emb"
check "f16 header says <f2" grep -q "'descr': '<f2'" "$DT/t16.npy"
check "f16 export is 2 bytes a value" \
	test "$(($(wc -c <"$DT/t16.npy") - 128))" -eq 12
check "stderr is empty" test ! -s "$T/err"
run 0 "$EMBMAP" export -o "$DT/tb.npy" "$DT/t_bf16.emb"
err_has "bf16 table written as float32 ('<f4')"
check "bf16 header says <f4" grep -q "'descr': '<f4'" "$DT/tb.npy"
run 0 "$EMBMAP" export -o "$DT/t8.npy" "$DT/t_i8.emb"
err_has "i8 table written as float32 ('<f4'): scale * q"

if [ "$HAVE_NUMPY" -eq 1 ]; then
	"$PY" - "$DT" <<'PYEOF' || echo "cli: cannot make the dtype fixtures"
import sys, numpy as np
d = sys.argv[1]
rng = np.random.RandomState(11)
a = (rng.randn(300, 64) * 0.02).astype(np.float32)
np.save(d + "/n.npy", a)
PYEOF

	for dty in f16 bf16 i8; do
		tcase "dtype: stats --against agrees with numpy for $dty"
		run 0 "$EMBMAP" pack -q --no-sync --dtype $dty -o "$DT/n_$dty.emb" \
			"$DT/n.npy"
		run 0 "$EMBMAP" stats --json "$DT/n_$dty.emb" --against \
			"$DT/n.npy"
		cp "$T/out" "$DT/n_$dty.json"
		run 0 "$EMBMAP" export -o "$DT/n_$dty.npy" "$DT/n_$dty.emb"
		# The figures, recomputed by numpy from the exported values;
		# f16 also against numpy's own rounding, bf16 against an
		# integer round-to-nearest-even, i8 against half a step.
		run 0 "$PY" - "$DT" "$dty" <<'PYEOF'
import json, sys, numpy as np
d, dt = sys.argv[1], sys.argv[2]
a = np.load(d + "/n.npy").astype(np.float64)
s = json.load(open(d + "/n_%s.json" % dt))
got = np.load(d + "/n_%s.npy" % dt).astype(np.float64)
if dt == "f16":
    ref = np.load(d + "/n.npy").astype(np.float16).astype(np.float64)
    assert (ref == got).all(), "f16 differs from numpy's astype"
elif dt == "bf16":
    u = np.load(d + "/n.npy").view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    ref = r.astype(np.uint32).view(np.float32).astype(np.float64)
    assert (ref == got).all(), "bf16 differs from the reference"
else:
    step = np.abs(a).max(axis=1) / 127
    bound = step / 2 * (1 + 2.0 ** -14)
    assert (np.abs(got - a).max(axis=1) <= bound).all(), "i8 error > step/2"
e = np.abs(got - a)
c = s["against"]
assert c["compared"] == a.size, c
assert c["nonfinite_mismatches"] == 0, c
assert c["max_abs_error"]["error"] == e.max(), (c, e.max())
row, col = np.unravel_index(e.argmax(), e.shape)
assert (c["max_abs_error"]["row"], c["max_abs_error"]["column"]) == (row, col)
rms = np.sqrt((e ** 2).mean())
assert abs(c["rms_error"] - rms) <= 1e-12 * rms, (c["rms_error"], rms)
assert s["min"] == got.min() and s["max"] == got.max(), s
n = np.sqrt((got ** 2).sum(axis=1))
assert abs(s["norm_min"] - n.min()) <= 1e-12, (s["norm_min"], n.min())
assert abs(s["norm_max"] - n.max()) <= 1e-12, (s["norm_max"], n.max())
print("ok", dt, c["max_abs_error"]["error"])
PYEOF
		out_has "ok $dty"
	done

	tcase "dtype: export of f16 is byte for byte np.save of float16"
	run 0 "$PY" - "$DT" <<'PYEOF'
import io, sys, numpy as np
d = sys.argv[1]
b = io.BytesIO()
np.save(b, np.load(d + "/n.npy").astype(np.float16))
assert b.getvalue() == open(d + "/n_f16.npy", "rb").read()
print("same bytes")
PYEOF
	out_has "same bytes"
else
	skip "dtype: numpy comparisons" "no numpy through $PY"
fi

# Optional: real files from other projects, beside the repository.
DT_SAMPLES="$here/../../../shared/samples/safetensors"
if [ -r "$DT_SAMPLES/model2vec-f32/model.safetensors" ] &&
	[ -r "$DT_SAMPLES/model2vec-f16/model.safetensors" ]; then
	tcase "dtype: f16 from model2vec's float32 is bit for bit its own f16"
	run 0 "$EMBMAP" pack -q --no-sync --dtype f16 -o "$DT/m16.emb" \
		"$DT_SAMPLES/model2vec-f32/model.safetensors"
	run 0 "$EMBMAP" stats "$DT/m16.emb" --against \
		"$DT_SAMPLES/model2vec-f16/model.safetensors"
	out_has "shape         29528 x 2 f16" "(safetensors, 29528 x 2 f16)" \
		"compared      59056 values finite on both sides; 0 NaN" \
		"max abs error 0 at row 0, column 0" "RMS error     0"
else
	skip "dtype: model2vec sample" "../shared/samples is not there"
fi
