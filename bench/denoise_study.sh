#!/bin/sh
# Regenerates the "Results vs paper 002" table of docs/denoising.md: test PSNR of examples/denoise1d for every
# network x activation x number of blocks, at a reduced scale (paper 002 Sec. 7.1: 10,000 pairs, 2,000 epochs).
#
#   bench/denoise_study.sh [BUILD_DIR] [OUT_DIR]
#
# Environment (defaults in brackets): NETS [symmetric dufortfrankel fsi lmresnet resnet], ACTS [relu charbonnier
# peronamalik], BLOCKS [2 4 8], NTRAIN [2000], NVAL [500], NTEST [1000], EPOCHS [20], LR [1e-2], EXTRA [] (more
# options for every run). One rank, one BLAS thread, runs one after the other; each run's full output is kept in
# OUT_DIR/NET-ACT-BLOCKS.log, one line per run in OUT_DIR/results.tsv, the markdown table goes to stdout.
set -eu
BUILD=${1:-build}
OUT=${2:-denoise_study}
NETS=${NETS:-"symmetric dufortfrankel fsi lmresnet resnet"}
ACTS=${ACTS:-"relu charbonnier peronamalik"}
BLOCKS=${BLOCKS:-"2 4 8"}
NTRAIN=${NTRAIN:-2000}
NVAL=${NVAL:-500}
NTEST=${NTEST:-1000}
EPOCHS=${EPOCHS:-20}
LR=${LR:-1e-2}
EXTRA=${EXTRA:-}
EXE="$BUILD/examples/denoise1d"
[ -x "$EXE" ] || { echo "denoise_study.sh: $EXE not found (build the denoise1d target first)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
mkdir -p "$OUT"
printf 'net\tactivation\tblocks\tparams\tpsnr\tgain\twall_s\n' > "$OUT/results.tsv"

for net in $NETS; do
  for act in $ACTS; do
    for nb in $BLOCKS; do
      log="$OUT/$net-$act-$nb.log"
      t0=$(date +%s.%N)
      # shellcheck disable=SC2086 # EXTRA is a list of options
      "$EXE" -odyn_denoise1d_num_train "$NTRAIN" -odyn_denoise1d_num_val "$NVAL" -odyn_denoise1d_num_test "$NTEST" \
        -odyn_ml_levels "$nb" -odyn_net "$net" -odyn_layer_activation "$act" -odyn_epochs "$EPOCHS" -odyn_lr "$LR" \
        $EXTRA > "$log" 2>&1 || { echo "denoise_study.sh: run failed, see $log" >&2; exit 1; }
      t1=$(date +%s.%N)
      line=$(grep '^odyn denoise:' "$log")
      params=$(echo "$line" | sed -n 's/.*params=\([0-9]*\).*/\1/p')
      psnr=$(echo "$line" | sed -n 's/.*denoised \([0-9.]*\) dB.*/\1/p')
      gain=$(echo "$line" | sed -n 's/.*gain \([-+0-9.]*\) dB.*/\1/p')
      wall=$(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$net" "$act" "$nb" "$params" "$psnr" "$gain" "$wall" >> "$OUT/results.tsv"
      echo "$net $act $nb: params $params, $psnr dB ($gain), $wall s" >&2
    done
  done
done

# markdown: one row per network and activation, test PSNR (and parameters) per number of blocks
awk -F'\t' -v blocks="$BLOCKS" '
  NR == 1 { next }
  { key = $1 " | " $2; if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
    psnr[key, $3] = $5; par[key, $3] = $4; wall[key] += $7 }
  END {
    nb = split(blocks, b, " ")
    hdr = "| network | activation |"; sep = "|---|---|"
    for (i = 1; i <= nb; i++) { hdr = hdr " " b[i] " blocks |"; sep = sep "---|" }
    for (i = 1; i <= nb; i++) { hdr = hdr " params (" b[i] ") |"; sep = sep "---|" }
    print hdr " wall (all) |"; print sep "---|"
    for (k = 1; k <= nk; k++) {
      row = "| " order[k] " |"
      for (i = 1; i <= nb; i++) row = row " " psnr[order[k], b[i]] " |"
      for (i = 1; i <= nb; i++) row = row " " par[order[k], b[i]] " |"
      printf "%s %.0f s |\n", row, wall[order[k]]
    }
  }' "$OUT/results.tsv"
