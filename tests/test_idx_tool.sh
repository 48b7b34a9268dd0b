#!/bin/bash
# tools/mnist-json-to-idx on small digit files made here: the IDX headers and sizes, that train + val hold exactly the
# input images with their labels (as bytes round(255 v)), that a rerun writes identical files, that --seed changes
# the shuffle, and the errors for bad input. Usage: test_idx_tool.sh SOURCE_DIR WORK_DIR. Exit 77 without python3.
set -u
src=$1
work=$2
tool=$src/tools/mnist-json-to-idx
command -v python3 > /dev/null || { echo "SKIP: no python3"; exit 77; }
rm -rf "$work" && mkdir -p "$work/digits" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# digit d has d + 2 images (65 in all); pixel p of image i of digit d is round(((7 i + 3 p + 11 d) mod 256) / 255, 3)
python3 - "$work/digits" << 'EOF' || fail "cannot make the test digits"
import json, sys
for d in range(10):
    data = [round(((7 * i + 3 * p + 11 * d) % 256) / 255, 3) for i in range(d + 2) for p in range(784)]
    json.dump({"data": data}, open("%s/%d.json" % (sys.argv[1], d), "w"))
EOF

"$tool" "$work/digits" "$work/a" --train 50 > "$work/a.log" || fail "the tool failed: $(cat "$work/a.log")"
grep -q "^train: 50 images" "$work/a.log" && grep -q "^val: 15 images" "$work/a.log" || fail "unexpected summary: $(cat "$work/a.log")"
"$tool" "$work/digits" "$work/b" --train 50 > /dev/null || fail "second run failed"
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz val-images-idx3-ubyte.gz val-labels-idx1-ubyte.gz; do
  cmp -s "$work/a/$f" "$work/b/$f" || fail "$f differs between two runs"
done
"$tool" "$work/digits" "$work/c" --train 50 --seed 2 > /dev/null || fail "run with --seed 2 failed"
cmp -s "$work/a/train-labels-idx1-ubyte.gz" "$work/c/train-labels-idx1-ubyte.gz" && fail "--seed 2 gave the same shuffle"

python3 - "$work/a" << 'EOF' || fail "the IDX files do not hold the input"
import gzip, struct, sys
from collections import Counter
def idx(path, ndim):
    b = gzip.open(path).read()
    assert b[:4] == bytes([0, 0, 8, ndim]), (path, b[:4])
    dims = struct.unpack(">%dI" % ndim, b[4:4 + 4 * ndim])
    return dims, b[4 + 4 * ndim:]
got = Counter()
for part, n in (("train", 50), ("val", 15)):
    (ni, r, c), im = idx("%s/%s-images-idx3-ubyte.gz" % (sys.argv[1], part), 3)
    (nl,), lb = idx("%s/%s-labels-idx1-ubyte.gz" % (sys.argv[1], part), 1)
    assert (ni, r, c, nl) == (n, 28, 28, n) and len(im) == n * 784 and len(lb) == n, (part, ni, r, c, nl)
    for k in range(n):
        got[(lb[k], im[k * 784:(k + 1) * 784])] += 1
want = Counter()
for d in range(10):
    for i in range(d + 2):
        want[(d, bytes(int(round(round(((7 * i + 3 * p + 11 * d) % 256) / 255, 3) * 255)) for p in range(784)))] += 1
assert got == want, "train + val are not the input images with their labels"
# the bytes are the original ones: the 3-decimal rounding is undone
assert all(v == (7 * 0 + 3 * p + 11 * 0) % 256 for p, v in enumerate(next(k[1] for k in got if k[0] == 0 and k[1][1] == 3)))
EOF

# bad input: a value outside [0, 1]; a size that is not a multiple of 784; a missing file; --train too large
python3 -c "import json; json.dump({'data': [1.5] * 784}, open('$work/digits/3.json', 'w'))"
out=$("$tool" "$work/digits" "$work/d" 2>&1) && fail "accepted a value of 1.5"
echo "$out" | grep -q "3.json: value 1.5 of image 0 is not a number in \[0, 1\]" || fail "message: $out"
python3 -c "import json; json.dump({'data': [0.5] * 700}, open('$work/digits/3.json', 'w'))"
out=$("$tool" "$work/digits" "$work/d" 2>&1) && fail "accepted 700 values"
echo "$out" | grep -q "3.json holds 700 values, not a multiple of 28 x 28 = 784" || fail "message: $out"
rm "$work/digits/3.json"
out=$("$tool" "$work/digits" "$work/d" 2>&1) && fail "accepted a missing file"
echo "$out" | grep -q "cannot read $work/digits/3.json" || fail "message: $out"
python3 -c "import json; json.dump({'data': [0.5] * 784}, open('$work/digits/3.json', 'w'))"
out=$("$tool" "$work/digits" "$work/d" 2>&1) && fail "accepted --train 8000 of 61 images"
echo "$out" | grep -q "\-\-train 8000 must be between 1 and 60" || fail "message: $out"
rm -rf "$work"
echo "PASS: mnist-json-to-idx"
