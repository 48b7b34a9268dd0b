#!/bin/bash
# Crash and signal tests of odyn train's checkpoints (app/CMakeLists.txt):
#   checkpoint.sh <kill|signal> <odyn> <workdir> <mpiexec> <numproc flag>
# kill:   SIGKILL a training run at random moments, many times, most of them inside a checkpoint write (slowed down with
#         -odyn_checkpoint_delay), restarting it each time from its checkpoint; the final history CSV equals that of an
#         uninterrupted run (every column but the time), on 1 and on 2 ranks.
# signal: SIGTERM (1 rank) and SIGUSR1 (to mpiexec, 2 ranks) stop training after the current iteration with a
#         checkpoint (the given file, or odyn-checkpoint.h5), a line that says so and exit status 75, and no model;
#         the restarted run ends with the uninterrupted history.
set -u
scenario=$1 odyn=$2 work=$3 mpiexec=$4 np=$5
fail() { echo "FAIL: $*"; exit 1; }
run() { local n=$1; shift; "$mpiexec" "$np" "$n" "$@"; }
TRAIN="-odyn_problem swissroll -odyn_ml_levels 4,8,16 -odyn_bcd_max_it 6 -odyn_bcd_batch_size 200 -odyn_bcd_hessian_size 80 -odyn_progress false"
history() { cut -d, -f1-9 "$1"; } # the time column is the clock's
mkdir -p "$work/$scenario" && cd "$work/$scenario" || exit 1
rm -f ./*.h5 ./*.csv ./*.log ./*.tmp

# reference: uninterrupted, on 1 and 2 ranks (the histories may differ between rank counts in the last bits)
for n in 1 2; do
  run $n "$odyn" train $TRAIN -odyn_history_csv ref$n.csv -odyn_model_out ref$n.h5 >ref$n.log 2>&1 || { cat ref$n.log; fail "reference run on $n ranks"; }
done

# wait until the run ($1: log) has done an iteration (-odyn_monitor), so that the trainer's handlers are installed
wait_training() { local i; for i in $(seq 1 2400); do grep -q "BCD layers" "$1" 2>/dev/null && return 0; sleep 0.025; done; return 1; }

case $scenario in
kill)
  for n in 1 2; do
    rm -f ck.h5 ck.h5.tmp h.csv
    kills=0 midwrite=0 done=0
    for round in $(seq 1 60); do
      restart=""
      [ -f ck.h5 ] && restart="-odyn_restart ck.h5"
      rm -f run.log # wait_training must not find the last round's lines
      # started directly (not through a shell function) so that $! is the program itself. Each round waits for the
      # run's first iteration (its -odyn_monitor line), then kills it 0-0.4 s later: every round makes progress whatever
      # the machine's speed, and most kills fall inside a write (a write takes ~35 ms on 1 rank and ~0.25 s on 2 ranks
      # here, slowed down by 0.1 s more with -odyn_checkpoint_delay).
      if [ $n = 1 ]; then
        "$odyn" train $TRAIN $restart -odyn_monitor -odyn_checkpoint ck.h5 -odyn_checkpoint_every 1 -odyn_checkpoint_delay 0.1 \
          -odyn_history_csv h.csv -odyn_model_out m.h5 >run.log 2>&1 &
      else
        "$mpiexec" "$np" $n "$odyn" train $TRAIN $restart -odyn_monitor -odyn_checkpoint ck.h5 -odyn_checkpoint_every 1 -odyn_checkpoint_delay 0.1 \
          -odyn_history_csv h.csv -odyn_model_out m.h5 >run.log 2>&1 &
      fi
      pid=$!
      wait_training run.log || true # a run that ends (or fails) before its first iteration is caught below
      ms=$((RANDOM % 400))
      sleep "0.$(printf %03d $ms)"
      if kill -0 $pid 2>/dev/null; then
        # SIGKILL the ranks themselves (a killed mpiexec could leave them running)
        if [ $n = 1 ]; then kill -KILL $pid; else for c in $(pgrep -P $pid -x odyn); do kill -KILL "$c"; done; fi
        [ -e ck.h5.tmp ] && midwrite=$((midwrite + 1))
        kills=$((kills + 1))
      fi
      wait $pid 2>/dev/null
      status=$?
      if [ $status = 0 ]; then done=1; break; fi
      grep -q "PETSC ERROR" run.log && { cat run.log; fail "a restart after SIGKILL failed ($n ranks)"; }
    done
    [ $done = 1 ] || fail "the run did not finish in 60 rounds ($n ranks, $kills kills)"
    echo "$n ranks: $kills SIGKILLs, $midwrite of them while a checkpoint was being written"
    [ $kills -ge 2 ] && [ $midwrite -ge 1 ] || fail "too few kills ($kills) or none during a write ($midwrite): the test tested nothing"
    diff <(history ref$n.csv) <(history h.csv) >/dev/null || fail "history after $kills SIGKILLs differs from the uninterrupted run ($n ranks)"
    [ -f m.h5 ] || fail "no model after the last run"
  done
  echo "PASS: kill"
  ;;
signal)
  # A longer run (300 iterations per level, a few ms each on an idle machine), so that the signal, sent after the
  # first iteration, arrives while training is still going on however fast the machine is; its own references.
  TRAIN="$TRAIN -odyn_bcd_max_it 300"
  for n in 1 2; do
    run $n "$odyn" train $TRAIN -odyn_history_csv ref$n.csv -odyn_model_out ref$n.h5 >ref$n.log 2>&1 || { cat ref$n.log; fail "long reference run on $n ranks"; }
  done
  # 1 rank, SIGTERM, the default checkpoint name
  rm -f odyn-checkpoint.h5 m.h5
  "$odyn" train $TRAIN -odyn_monitor -odyn_history_csv h.csv -odyn_model_out m.h5 >sig.log 2>&1 &
  pid=$!
  wait_training sig.log || fail "training did not start"
  kill -TERM $pid
  wait $pid
  status=$?
  cat sig.log | grep "^odyn"
  [ $status = 75 ] || { cat sig.log; fail "SIGTERM: exit status $status, expected 75"; }
  grep -q "odyn: caught SIGTERM: stopped after level .* checkpoint written to odyn-checkpoint.h5; continue with -odyn_restart odyn-checkpoint.h5" sig.log || fail "no 'caught SIGTERM' line"
  [ -f odyn-checkpoint.h5 ] && [ ! -e odyn-checkpoint.h5.tmp ] || fail "no checkpoint odyn-checkpoint.h5 (or a .tmp left)"
  [ ! -e m.h5 ] || fail "a model was written by an interrupted run"
  "$odyn" train $TRAIN -odyn_restart odyn-checkpoint.h5 -odyn_history_csv h.csv -odyn_model_out m.h5 >rest.log 2>&1 || { cat rest.log; fail "restart after SIGTERM"; }
  diff <(history ref1.csv) <(history h.csv) >/dev/null || fail "history after SIGTERM + restart differs from the uninterrupted run"
  # 2 ranks, SIGUSR1 to mpiexec (Open MPI forwards it to the ranks)
  rm -f ck.h5 m.h5
  "$mpiexec" "$np" 2 "$odyn" train $TRAIN -odyn_monitor -odyn_checkpoint ck.h5 -odyn_checkpoint_every 0 -odyn_history_csv h.csv -odyn_model_out m.h5 >usr1.log 2>&1 &
  pid=$!
  wait_training usr1.log || fail "training did not start (2 ranks)"
  kill -USR1 $pid
  wait $pid
  status=$?
  [ $status = 75 ] || { cat usr1.log; fail "SIGUSR1 to mpiexec: exit status $status, expected 75"; }
  [ "$(grep -c 'odyn: caught SIGUSR1' usr1.log)" = 1 ] || fail "expected one 'caught SIGUSR1' line (rank 0)"
  [ -f ck.h5 ] && [ ! -e m.h5 ] || fail "SIGUSR1: no checkpoint, or a model"
  run 2 "$odyn" train $TRAIN -odyn_restart ck.h5 -odyn_history_csv h.csv -odyn_model_out m.h5 >rest2.log 2>&1 || { cat rest2.log; fail "restart after SIGUSR1"; }
  diff <(history ref2.csv) <(history h.csv) >/dev/null || fail "history after SIGUSR1 + restart differs from the uninterrupted run (2 ranks)"
  echo "PASS: signal"
  ;;
*) fail "unknown scenario $scenario" ;;
esac
