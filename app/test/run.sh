#!/bin/bash
# Tests of the odyn program, one scenario per ctest test (app/CMakeLists.txt):
#   run.sh <scenario> <odyn> <odyn_model_tamper> <workdir> <mpiexec> <numproc flag>
# train (the fixture) trains a small ellipse model on 2 ranks; the other scenarios use its files.
set -u
scenario=$1 odyn=$2 tamper=$3 work=$4 mpiexec=$5 np=$6
fail() { echo "FAIL: $*"; exit 1; }
run() { local n=$1; shift; "$mpiexec" "$np" "$n" "$@"; } # run <ranks> <program> <args...>
# expect_error <needle> <ranks> <odyn args...>: the command fails, and its error message contains needle
expect_error() {
  local needle=$1 out; shift
  out=$(run "$@" 2>&1) && fail "odyn ${*:2} succeeded; expected an error containing: $needle"
  grep -qF -- "$needle" <<<"$out" || { echo "$out" | grep "PETSC ERROR" | head -5; fail "odyn ${*:2}: the error does not contain: $needle"; }
  echo "ok (error): $needle"
}
value() { sed -n "s/.*[ :]$1=\([^ ]*\).*/\1/p" | head -1; } # value <key> < line: the key=value pairs of odyn's lines

mkdir -p "$work" && cd "$work" || exit 1
case $scenario in
train)
  # the options file comes after problems/options/ellipse.opts (which says 9 levels): it must win
  rm -f ./*.h5 ./*.csv ./*.log ./*.tmp
  printf -- '-odyn_ml_levels 4,8\n-odyn_bcd_max_it 5\n' >short.opts
  run 2 "$odyn" train -odyn_problem ellipse -options_file short.opts -odyn_model_out model.h5 -odyn_data_csv train.csv -odyn_data_val_csv val.csv -malloc_dump >train.log 2>&1 || { cat train.log; fail "odyn train"; }
  cat train.log
  [ "$(grep -c '^odyn level:' train.log)" = 2 ] || fail "expected 2 levels (-options_file short.opts)"
  [ -f model.h5 ] && [ ! -e model.h5.tmp ] || fail "model.h5 missing or model.h5.tmp left"
  grep -q '^odyn model: file=model.h5' train.log || fail "no odyn model: line"
  ;;
eval)
  best=$(grep '^odyn best:' train.log) layers=$(value layers <<<"$best") val_acc=$(value val_acc <<<"$best")
  train_acc=$(grep "^odyn level:.* layers=$layers " train.log | value train_acc)
  for n in 2 1 3; do
    out=$(run $n "$odyn" eval -odyn_model model.h5 -odyn_data val.csv -malloc_dump 2>&1) || { echo "$out"; fail "odyn eval on $n ranks"; }
    echo "$out"
    grep -q "^odyn eval: model=model.h5 data=val.csv examples=200 accuracy=[0-9.]* loss=[0-9.e+-]*$" <<<"$out" || fail "eval line"
    [ "$(value accuracy <<<"$out")" = "$val_acc" ] || fail "eval on $n ranks: accuracy $(value accuracy <<<"$out"), training reported val_acc=$val_acc"
  done
  out=$(run 2 "$odyn" eval -odyn_model model.h5 -odyn_data train.csv 2>&1) || fail "odyn eval train.csv"
  echo "$out"
  [ "$(value accuracy <<<"$out")" = "$train_acc" ] || fail "accuracy on the training data $(value accuracy <<<"$out"), training reported train_acc=$train_acc"
  ;;
predict)
  # written on 2 ranks (the fixture), read on 1 and on 3: the same labels
  for n in 1 3; do
    run $n "$odyn" predict -odyn_model model.h5 -odyn_data val.csv -odyn_predict_out pred$n.csv -malloc_dump || fail "odyn predict on $n ranks"
    [ ! -e pred$n.csv.tmp ] || fail "pred$n.csv.tmp left"
  done
  head -3 pred1.csv
  [ "$(head -1 pred1.csv)" = "example,label,prediction,p_0,p_1" ] || fail "header of pred1.csv"
  [ "$(wc -l <pred1.csv)" = 201 ] || fail "pred1.csv should have 200 examples"
  cmp <(cut -d, -f1-3 pred1.csv) <(cut -d, -f1-3 pred3.csv) || fail "labels differ between 1 and 3 ranks"
  # the labels agree with eval's accuracy, and the probabilities sum to 1
  acc=$(awk -F, 'NR > 1 { n++; c += ($2 == $3); if (($4 + $5) < 0.999999 || ($4 + $5) > 1.000001) bad++ } END { if (bad) print "bad"; else printf "%.2f", 100 * c / n }' pred1.csv)
  [ "$acc" = "$(grep '^odyn best:' train.log | value val_acc)" ] || fail "accuracy of the predicted labels $acc"
  ;;
info)
  out=$(run 1 "$odyn" info -odyn_model model.h5 -malloc_dump 2>&1) || { echo "$out"; fail "odyn info"; }
  echo "$out"
  for want in "odyn info: model=model.h5 format_version=2 odyn_version=" "blocks=1 input_width=2 output_width=2" "loss=logistic classes=2 checksum=fnv1a64:" \
              "block 0: euler scheme" "training information:" "data: problem=ellipse (generated)" "-odyn_ml_levels 4,8"; do
    grep -qF -- "$want" <<<"$out" || fail "odyn info does not say: $want"
  done
  ;;
bad)
  size=$(stat -c %s model.h5)
  "$tamper" truncate model.h5 cut.h5 $((size / 2)) && "$tamper" flip model.h5 flip.h5 && "$tamper" version model.h5 v99.h5 99 || fail "odyn_model_tamper"
  awk -F, '/^#/ { print "# odyn dataset nf=3 nc=2"; next } { print $1 "," $2 "," $1 "," $3 }' val.csv >val3.csv
  expect_error "Model file missing.h5 does not exist" 2 "$odyn" eval -odyn_model missing.h5 -odyn_data val.csv
  expect_error "Model file cut.h5 is truncated or corrupt" 2 "$odyn" eval -odyn_model cut.h5 -odyn_data val.csv
  expect_error "Model file flip.h5 is corrupt: checksum mismatch" 2 "$odyn" eval -odyn_model flip.h5 -odyn_data val.csv
  expect_error "Model file v99.h5 has format version 99" 1 "$odyn" info -odyn_model v99.h5
  expect_error "the model model.h5 takes 2 features per example but the data val3.csv has 3" 2 "$odyn" eval -odyn_model model.h5 -odyn_data val3.csv
  expect_error "Cannot write the model file nodir/m.h5: cannot create nodir/m.h5.tmp" 2 "$odyn" train -odyn_problem ellipse -odyn_model_out nodir/m.h5
  expect_error "Cannot write the prediction file nodir/p.csv" 2 "$odyn" predict -odyn_model model.h5 -odyn_data val.csv -odyn_predict_out nodir/p.csv
  [ ! -e nodir ] || fail "nodir was created"
  # a failed prediction leaves an existing output as it was, and creates none
  echo "previous results" >keep.csv
  expect_error "checksum mismatch" 2 "$odyn" predict -odyn_model flip.h5 -odyn_data val.csv -odyn_predict_out keep.csv
  [ "$(cat keep.csv)" = "previous results" ] && [ ! -e keep.csv.tmp ] || fail "keep.csv changed or keep.csv.tmp left"
  expect_error "the model model.h5 takes 2 features" 2 "$odyn" predict -odyn_model model.h5 -odyn_data val3.csv -odyn_predict_out new.csv
  [ ! -e new.csv ] && [ ! -e new.csv.tmp ] || fail "new.csv written by a failed prediction"
  expect_error "no data: give -odyn_data FILE" 1 "$odyn" eval -odyn_model model.h5
  expect_error "Unknown command \"bogus\"" 1 "$odyn" bogus
  expect_error "nothing to train on" 1 "$odyn" train
  ;;
help)
  out=$(run 1 "$odyn" -help 2>&1) || fail "odyn -help"
  grep -q "train    train a network" <<<"$out" || fail "odyn -help does not list the commands"
  out=$(run 1 "$odyn" train -help 2>&1) || fail "odyn train -help"
  for opt in -odyn_problem -odyn_net -odyn_data_train -odyn_model_out -odyn_bcd_max_it -odyn_scheme_type -odyn_loss_type; do
    grep -q -- "$opt" <<<"$out" || fail "odyn train -help does not list $opt"
  done
  out=$(run 1 "$odyn" predict -help 2>&1) || fail "odyn predict -help"
  for opt in -odyn_model -odyn_data -odyn_predict_out -odyn_predict_chunk; do
    grep -q -- "$opt" <<<"$out" || fail "odyn predict -help does not list $opt"
  done
  ;;
*) fail "unknown scenario $scenario" ;;
esac
echo "PASS: $scenario"
