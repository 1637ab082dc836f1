#!/usr/bin/env bash
# The main job: build, train the default model on MovieLens-100K (two trainers against the
# parameter server, about 2½ minutes on 2 cores), start the whole suite on loopback serving it, run
# example queries (with movie titles) and a short benchmark through the gateway, then stop
# everything. SKIP_TRAINING=1 reuses run/trained.safetensors from an earlier run.
. "$(dirname "$0")/lib.sh"
scripts/fetch-movielens.sh
echo "== building (release)"
build_release
mkdir -p run
model=run/trained.safetensors
if [ "${SKIP_TRAINING:-0}" != 1 ] || [ ! -f "$model" ]; then
  echo "== training the default model: 1 transformer block, 2 trainers, 20 epochs, sampled softmax over 64 sampled and"
  echo "   up to 50 seen-item negatives, the server's row-wise Adagrad at rate 0.15 (docs/training.md)"
  OUTPUT=$model TRAINERS=2 LAYERS=1 EPOCHS=20 SEED=1 LOG_DIR=run/train ROW_LEARNING_RATE=0.15 scripts/train.sh \
    --samples-per-user 12 --negatives 64 --history-negatives 50 --loss softmax --learning-rate 0.003 --patience 10
  echo; echo "== the trained model on the test split, beside most-popular"
  "$bin/recctl" eval --model "$model"
fi
port=${PORT:-5555}
start_suite run/up.log --model "$model" --scorers 2 --port "$port"
grep -v '^20[0-9][0-9]-' run/up.log | sed -n '1,3p'
gateway=tcp://127.0.0.1:$port
echo; echo "== a new user who watched Star Wars, The Empire Strikes Back, Return of the Jedi, Raiders of the Lost Ark,"
echo "   Toy Story and The Silence of the Lambs: the trained model's top 10 of all 1,682 movies"
"$bin/recctl" query --gateway "$gateway" --user alice --history 49,171,180,173,0,97 -k 10 --data data/ml-100k
echo; echo "== another new user, with a history of children's films (The Lion King, Aladdin, Beauty and the Beast, Toy Story)"
"$bin/recctl" query --gateway "$gateway" --user bob --history 70,94,587,0 -k 10 --data data/ml-100k
echo; echo "== the same user again (the encoder's cache answers the history)"
"$bin/recctl" query --gateway "$gateway" --user alice --history 49,171,180,173,0,97 -k 5
echo; echo "== an unknown item id gets a clear error"
"$bin/recctl" query --gateway "$gateway" --history 1,99999 -k 5 || true
echo; echo "== 5 s of closed-loop load (W1 shape: history 200, 1,000 candidates, k 10)"
"$bin/recctl" bench --gateway "$gateway" --model "$model" --seconds 5 --concurrency 2
echo; echo "== stopping"
stop_suite
tail -n 1 run/up.log
