#!/bin/sh
# Knowledge distillation on Fashion-MNIST: a 784→32→10 student distilled from a
# 784→512→256→10 teacher beats the same student trained alone (mean of 3 seeds).
#
#   apt-get install -y dataset-fashion-mnist     # the IDX files, MIT licensed
#   swift build -c release --product pare
#   sh examples/distill-fashion-mnist.sh          # ~1 minute on 2 cores
#
# The teacher is trained on all 60 000 training images; the students (distilled and alone)
# on the first 2 000 only — distillation as Hinton's "transfer set": what the teacher's soft
# targets add when labelled data is scarce. Evaluated on the 10 000 test images.
set -eu
PARE=${PARE:-.build/release/pare}
D=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
DB=${DB:-fashion-distill.sqlite}
TRAIN="idx:$D/train-images-idx3-ubyte.gz,$D/train-labels-idx1-ubyte.gz"
TEST="idx:$D/t10k-images-idx3-ubyte.gz,$D/t10k-labels-idx1-ubyte.gz"

"$PARE" train --train "$TRAIN" --test "$TEST" --arch mlp:784,512,256,10:relu --epochs 5 --seed 0 \
    --out fashion-teacher.safetensors

# Each point records two runs: the distilled student and (role=baseline) the same student,
# same seed and epochs, trained alone; the distilled run links it (params.baseline_run).
"$PARE" sweep --model fashion-teacher.safetensors --train "$TRAIN,rows=2000" --test "$TEST" \
    --method distill --set student=mlp:784,32,10 --set epochs=100 \
    --set temperature=2 --set alpha=0.5 --grid seed=1,2,3 \
    --experiment fashion-distill --no-timing --db "$DB"

"$PARE" leaderboard --metric accuracy --where "params.method = 'distill'" --db "$DB"

# Mean and spread (min–max) over the seeds, alone vs distilled.
summary() {  # $1 label, $2 role
    "$PARE" runs --format csv --where "params.method = 'distill' and params.role = '$2' and run.status = 'finished'" --db "$DB" |
    awk -F, -v label="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "accuracy") c = i; next }
        { a = $c; n++; s += a; if (n == 1 || a < lo) lo = a; if (n == 1 || a > hi) hi = a }
        END { printf "%-9s n=%d  accuracy mean %.4f  (min %.4f, max %.4f)  errors %.0f of 10000\n", label, n, s / n, lo, hi, 10000 * (1 - s / n) }'
}
summary alone baseline
summary distilled distill
