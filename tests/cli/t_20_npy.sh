# numpy .npy input: every supported dtype, byte order, memory order and
# version, packed and read back through info, check, get and export.

if [ "$HAVE_NUMPY" -eq 1 ]; then
	N="$T/npy"
	mkdir -p "$N"
	# Expected rows are printed by Python with the same %.9g as embmap get.
	"$PY" - "$N" <<'PYEOF' || echo "cli: cannot make the .npy fixtures"
import sys, numpy as np
from numpy.lib import format as fmt
d = sys.argv[1]
rng = np.random.RandomState(7)
a = (rng.randn(64, 5) * 3).astype(np.float32)
a[0, 0] = 1e-30  # a float32 subnormal-range neighbour, kept exactly
np.save(d + "/a.npy", a)
np.save(d + "/h.npy", a.astype(np.float16))
np.save(d + "/d.npy", a.astype(np.float64))
np.save(d + "/fo.npy", np.asfortranarray(a))
np.save(d + "/be.npy", a.astype(">f4"))
np.save(d + "/bed.npy", a.astype(">f8"))
np.save(d + "/beh.npy", a.astype(">f2"))
np.save(d + "/fobe.npy", np.asfortranarray(a.astype(">f8")))
for v in (2, 3):
    with open(d + "/v%d.npy" % v, "wb") as f:
        fmt.write_array(f, a, version=(v, 0))
# Larger than one 4 MiB chunk, so Fortran order is transposed in pieces.
big = rng.randn(2100, 700).astype(np.float32)
np.save(d + "/big.npy", big)
np.save(d + "/bigfo.npy", np.asfortranarray(big))
o = a.astype(np.float64)
o[2, 1] = 1e300
np.save(d + "/over.npy", o)
w = a.copy()
w[5, 3] = 1e10
np.save(d + "/wide.npy", w)
np.save(d + "/i8.npy", np.arange(12, dtype="<i8").reshape(3, 4))
np.save(d + "/obj.npy", np.array([[1, "x"]], dtype=object), allow_pickle=True)
np.save(d + "/c64.npy", np.zeros((2, 2), dtype=np.complex64))
np.save(d + "/three.npy", np.zeros((2, 3, 4), dtype=np.float32))
def line(row):
    return " ".join("%.9g" % float(x) for x in row)
with open(d + "/a3.txt", "w") as f:
    f.write("\t3\t" + line(a[3]) + "\n")
with open(d + "/h3.txt", "w") as f:
    f.write("\t3\t" + line(a[3].astype(np.float16)) + "\n")
with open(d + "/a0.txt", "w") as f:
    f.write("\t0\t" + line(a[0]) + "\n")
with open(d + "/i8r.txt", "w") as f:
    f.write(str(len(a)) + "\n")
PYEOF

	tcase "npy: float32 C order packs; info shows shape, dtype, sections"
	run 0 "$EMBMAP" pack --no-sync -o "$N/a.emb" "$N/a.npy"
	err_has "a.emb: 64 rows x 5 f32, 0 tokens"
	run 0 "$EMBMAP" info "$N/a.emb"
	out_has "rows          64" "dim           5" "dtype         f32" \
		"stride        20 bytes" "tokens        0" "alignment     4096" \
		"format        1.0" "  matrix " "  block-sums " \
		"source.format = npy" "source.file = a.npy" \
		"source.dtype = f32" "converter = embmap " \
		"source.npy.descr = <f4"
	check "content hash is 32 hex digits" \
		grep -qE '^content hash  [0-9a-f]{32}$' "$T/out"

	tcase "npy: float32 check OK and get prints the exact row"
	run 0 "$EMBMAP" check "$N/a.emb"
	out_is "$N/a.emb: OK"
	run 0 "$EMBMAP" get "$N/a.emb" --id 3
	check "row 3 as numpy prints it" cmp -s "$N/a3.txt" "$T/out"
	run 0 "$EMBMAP" get "$N/a.emb" --id 0
	check "row 0 (with 1e-30) exact" cmp -s "$N/a0.txt" "$T/out"

	tcase "npy: np.save -> pack -> export gives identical bytes"
	run 0 "$EMBMAP" export -o "$N/a.out.npy" "$N/a.emb"
	check "export equals the np.save file" cmp "$N/a.npy" "$N/a.out.npy"
	no_temps "$N"

	tcase "npy: a larger table round-trips byte for byte"
	run 0 "$EMBMAP" pack -q --no-sync -o "$N/big.emb" "$N/big.npy"
	run 0 "$EMBMAP" export -o "$N/big.out.npy" "$N/big.emb"
	check "export equals the np.save file" cmp "$N/big.npy" "$N/big.out.npy"

	tcase "npy: float16 is stored as f16 with the exact values"
	run 0 "$EMBMAP" pack -q --no-sync -o "$N/h.emb" "$N/h.npy"
	run 0 "$EMBMAP" info "$N/h.emb"
	out_has "dtype         f16" "stride        10 bytes" "source.dtype = f16"
	run 0 "$EMBMAP" get "$N/h.emb" --id 3
	check "row 3 as float16 values" cmp -s "$N/h3.txt" "$T/out"
	run 0 "$EMBMAP" check "$N/h.emb"

	tcase "npy: float64 is stored as f32, rounded to nearest"
	run 0 "$EMBMAP" pack -q --no-sync -o "$N/d.emb" "$N/d.npy"
	run 0 "$EMBMAP" info "$N/d.emb"
	out_has "dtype         f32" "source.dtype = f64" \
		"source.npy.descr = <f8"
	run 0 "$EMBMAP" export -o "$N/d.out.npy" "$N/d.emb"
	check "same bytes as the float32 original" cmp "$N/a.npy" "$N/d.out.npy"

	tcase "npy: Fortran order is transposed"
	run 0 "$EMBMAP" pack -q --no-sync -o "$N/fo.emb" "$N/fo.npy"
	run 0 "$EMBMAP" export -o "$N/fo.out.npy" "$N/fo.emb"
	check "C-order export equals the C-order file" \
		cmp "$N/a.npy" "$N/fo.out.npy"
	run 0 "$EMBMAP" info "$N/fo.emb"
	out_has "source.npy.fortran_order = True"

	tcase "npy: Fortran order larger than one chunk"
	run 0 "$EMBMAP" pack -q --no-sync -o "$N/bigfo.emb" "$N/bigfo.npy"
	run 0 "$EMBMAP" export -o "$N/bigfo.out.npy" "$N/bigfo.emb"
	check "equals the C-order file" cmp "$N/big.npy" "$N/bigfo.out.npy"

	tcase "npy: big-endian float32, float64, float16 are byte-swapped"
	run 0 "$EMBMAP" pack -q --no-sync -o "$N/be.emb" "$N/be.npy"
	run 0 "$EMBMAP" export -o "$N/be.out.npy" "$N/be.emb"
	check "'>f4' equals '<f4'" cmp "$N/a.npy" "$N/be.out.npy"
	run 0 "$EMBMAP" pack -q --no-sync -o "$N/bed.emb" "$N/bed.npy"
	run 0 "$EMBMAP" export -o "$N/bed.out.npy" "$N/bed.emb"
	check "'>f8' equals '<f4'" cmp "$N/a.npy" "$N/bed.out.npy"
	run 0 "$EMBMAP" pack -q --no-sync -o "$N/beh.emb" "$N/beh.npy"
	run 0 "$EMBMAP" get "$N/beh.emb" --id 3
	check "'>f2' row equals '<f2'" cmp -s "$N/h3.txt" "$T/out"
	run 0 "$EMBMAP" pack -q --no-sync -o "$N/fobe.emb" "$N/fobe.npy"
	run 0 "$EMBMAP" export -o "$N/fobe.out.npy" "$N/fobe.emb"
	check "Fortran '>f8' equals '<f4'" cmp "$N/a.npy" "$N/fobe.out.npy"

	tcase "npy: format versions 2.0 and 3.0"
	for v in 2 3; do
		run 0 "$EMBMAP" pack -q --no-sync -o "$N/v$v.emb" "$N/v$v.npy"
		run 0 "$EMBMAP" export -o "$N/v$v.out.npy" "$N/v$v.emb"
		check "version $v.0 equals 1.0" cmp "$N/a.npy" "$N/v$v.out.npy"
	done
	run 0 "$EMBMAP" info "$N/v3.emb"
	out_has "source.npy.version = 3.0"

	tcase "npy: a float64 beyond float32 is refused naming row, column, value"
	run 1 "$EMBMAP" pack --no-sync -o "$N/over.emb" "$N/over.npy"
	err_has "over.npy: row 2, column 1: value 1.0000000000000001e+300" \
		"does not fit in float32" "--saturate"
	no_file "$N/over.emb"
	no_temps "$N"

	tcase "npy: --saturate clamps it to the largest float32"
	run 0 "$EMBMAP" pack -q --no-sync --saturate -o "$N/over.emb" \
		"$N/over.npy"
	run 0 "$EMBMAP" get "$N/over.emb" --id 2
	out_has " 3.40282347e+38 "

	tcase "npy: --dtype f16 refuses a value too large for f16"
	run 1 "$EMBMAP" pack --no-sync --dtype f16 -o "$N/wide.emb" \
		"$N/wide.npy"
	err_has "wide.npy:" "row 5, column 3" "--saturate"
	no_file "$N/wide.emb"
	run 0 "$EMBMAP" pack -q --no-sync --saturate --dtype f16 \
		-o "$N/wide.emb" "$N/wide.npy"
	run 0 "$EMBMAP" get "$N/wide.emb" --id 5
	out_has " 65504"

	tcase "npy: --dtype bf16 and i8 are converted"
	run 0 "$EMBMAP" pack -q --no-sync --dtype bf16 -o "$N/bf.emb" \
		"$N/a.npy"
	run 0 "$EMBMAP" info "$N/bf.emb"
	out_has "dtype         bf16" "source.dtype = f32"
	run 0 "$EMBMAP" pack -q --no-sync --dtype i8 -o "$N/q.emb" "$N/a.npy"
	run 0 "$EMBMAP" info "$N/q.emb"
	out_has "dtype         i8" "  scales "
	run 0 "$EMBMAP" check "$N/bf.emb" "$N/q.emb"

	tcase "npy: numpy's own unsupported dtypes are refused by name"
	run 1 "$EMBMAP" pack --no-sync -o "$N/x.emb" "$N/i8.npy"
	err_has "i8.npy: dtype '<i8' (int64) is not supported; supported:" \
		"float32, float64, float16"
	run 1 "$EMBMAP" pack --no-sync -o "$N/x.emb" "$N/obj.npy"
	err_has "dtype '|O' (object) is not supported"
	run 1 "$EMBMAP" pack --no-sync -o "$N/x.emb" "$N/c64.npy"
	err_has "dtype '<c8' (complex64) is not supported"
	run 1 "$EMBMAP" pack --no-sync -o "$N/x.emb" "$N/three.npy"
	err_has "shape (2, 3, 4) has 3 dimensions; a table needs 2"
	no_file "$N/x.emb"

	tcase "npy: info --json is exact and parses"
	run 0 "$EMBMAP" info --json "$N/a.emb"
	check "JSON with the right fields" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rows"] == 64 and d["dim"] == 5 and d["dtype"] == "f32", d
assert d["stride"] == 20 and d["tokens"] == 0 and d["alignment"] == 4096
assert len(d["content_hash"]) == 32
names = [s["name"] for s in d["sections"]]
assert names[0] == "matrix" and "block-sums" in names, names
assert all(len(s["checksum"]) == 16 for s in d["sections"])
assert d["metadata"]["source.format"] == "npy"
assert d["file_size"] == __import__("os").path.getsize(sys.argv[2])
' "$T/out" "$N/a.emb"

	tcase "npy: get --json gives the float32 values exactly"
	run 0 "$EMBMAP" get --json "$N/a.emb" --id 3 --id 0
	check "values equal numpy's float32" "$PY" -c '
import json, sys, numpy as np
d = json.load(open(sys.argv[1]))
a = np.load(sys.argv[2])
assert [r["id"] for r in d] == [3, 0] and d[0]["token"] is None, d
for r in d:
    assert np.array_equal(np.array(r["values"], dtype=np.float32), a[r["id"]])
' "$T/out" "$N/a.npy"
else
	skip "npy cases" "numpy is missing"
fi
