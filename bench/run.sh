#!/usr/bin/env bash
# bench/run.sh: `modalc plan -q` against bench/baseline, a program that only
# loads the same files with compose-go, both built and run side by side.
#
# Targets: per file, modalc ≤ 1.15× the baseline's wall time and peak RSS
# within 8 MiB of it; in one process over all files, ≤ 1.5× (measured on an
# idle machine, and with both cores kept busy by two spinning processes).
#
#   bench/run.sh               # from anywhere; needs ../shared/corpus
#   RUNS=31 bench/run.sh       # more runs per file (default 15)
#   CORPUS=/path bench/run.sh  # another corpus with an INDEX.tsv
#   MODALC=/tmp/m bench/run.sh # time a prebuilt modalc instead of building one
#
# The corpus' INDEX.tsv names the files; the single-service ones are used.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CORPUS:-$root/../shared/corpus}
runs=${RUNS:-15}
batch_runs=${BATCH_RUNS:-9}
rss_runs=${RSS_RUNS:-3}

if [[ ! -f $corpus/INDEX.tsv ]]; then
	echo "bench: no corpus at $corpus (INDEX.tsv); skipping" >&2
	exit 0
fi
corpus=$(cd "$corpus" && pwd)
timebin=/usr/bin/time
if ! "$timebin" -f %M true >/dev/null 2>&1; then
	echo "bench: GNU time not found at $timebin; peak RSS is skipped (install it: apt-get install time)" >&2
	timebin=
fi

work=$(mktemp -d)
spinners=()
cleanup() {
	for pid in "${spinners[@]}"; do kill "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

echo "building..."
(cd "$root" && go build -o "$work/baseline" ./bench/baseline)
if [[ -n ${MODALC:-} ]]; then
	cp "$MODALC" "$work/modalc" # a prebuilt binary, for experiments
else
	(cd "$root" && go build -o "$work/modalc" ./cmd/modalc)
fi
ls -l "$work/modalc" "$work/baseline" | awk '{printf "  %-10s %6.1f MiB\n", $NF, $5/1048576}' | sed "s|$work/||"

mapfile -t files < <(awk -F'\t' 'NR > 1 && $2 == 1 { print $1 }' "$corpus/INDEX.tsv")
echo "corpus: $corpus: ${#files[@]} single-service files; $runs runs per file and binary"
cd "$corpus"

# cmd NAME FILE...: the command line of a binary, as an array in "cmd".
cmdline() {
	local name=$1
	shift
	case $name in
	modalc) cmd=("$work/modalc" plan -q "$@") ;;
	baseline) cmd=("$work/baseline" "$@") ;;
	esac
}

# usec: microseconds of wall time to run "${cmd[@]}" once.
usec() {
	local t0 t1
	t0=$EPOCHREALTIME
	"${cmd[@]}" >/dev/null 2>&1 || true
	t1=$EPOCHREALTIME
	echo $((${t1/./} - ${t0/./}))
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Exit statuses, once: a file modalc refuses is still timed (the same work).
fails_m=0 fails_b=0
for f in "${files[@]}"; do
	"$work/modalc" plan -q "$f" >/dev/null 2>&1 || fails_m=$((fails_m + 1))
	"$work/baseline" "$f" >/dev/null 2>&1 || fails_b=$((fails_b + 1))
done
echo "non-zero exits: modalc $fails_m, baseline $fails_b (of ${#files[@]})"

echo
echo "== (a) one process per file: median wall time of $runs alternating runs"
: >"$work/perfile.tsv"
for f in "${files[@]}"; do
	: >"$work/m" && : >"$work/b"
	for ((r = 0; r < runs; r++)); do
		# Alternate which binary goes first, so neither always gets the warm cache.
		if ((r % 2)); then order=(baseline modalc); else order=(modalc baseline); fi
		for name in "${order[@]}"; do
			cmdline "$name" "$f"
			usec >>"$work/${name:0:1}"
		done
	done
	printf '%s\t%s\t%s\n' "$(median <"$work/m")" "$(median <"$work/b")" "$f" >>"$work/perfile.tsv"
done
awk -F'\t' '
	{ r = $1 / $2; m += $1; b += $2; if (r > worst) { worst = r; wf = $3; wm = $1; wb = $2 } }
	END {
		printf "  modalc   mean of medians %7.2f ms\n", m / NR / 1000
		printf "  baseline mean of medians %7.2f ms\n", b / NR / 1000
		printf "  ratio of the sums        %7.3f   (target <= 1.15)\n", m / b
		printf "  worst file               %7.3f   %s (%.2f vs %.2f ms)\n", worst, wf, wm / 1000, wb / 1000
	}' "$work/perfile.tsv"
awk -F'\t' '{ print $1 / $2 }' "$work/perfile.tsv" | median | awk '{ printf "  median per-file ratio    %7.3f\n", $1 }'
awk -F'\t' '$1 / $2 > 1.15 { n++ } END { printf "  files over 1.15          %7d of %d\n", n, NR }' "$work/perfile.tsv"

echo
echo "== (b) peak RSS per file (median of $rss_runs runs)"
if [[ -n $timebin ]]; then
	: >"$work/rss.tsv"
	for f in "${files[@]}"; do
		line=""
		for name in modalc baseline; do
			cmdline "$name" "$f"
			kb=$(for ((r = 0; r < rss_runs; r++)); do { "$timebin" -f %M "${cmd[@]}" 2>&1 >/dev/null || true; } | tail -n 1; done | median)
			line+="$kb"$'\t'
		done
		printf '%s%s\n' "$line" "$f" >>"$work/rss.tsv"
	done
	awk -F'\t' '
		{ d = ($1 - $2) / 1024; m += $1; b += $2; if (d > worst) { worst = d; wf = $3 } }
		END {
			printf "  modalc   mean peak RSS %6.1f MiB\n", m / NR / 1024
			printf "  baseline mean peak RSS %6.1f MiB\n", b / NR / 1024
			printf "  largest difference     %+6.1f MiB   (target <= +8)   %s\n", worst, wf
		}' "$work/rss.tsv"
fi

echo
echo "== (c) one process over all ${#files[@]} files: median of $batch_runs alternating runs"
batch() { # label
	: >"$work/bm" && : >"$work/bb"
	for ((r = 0; r < batch_runs; r++)); do
		if ((r % 2)); then order=(baseline modalc); else order=(modalc baseline); fi
		for name in "${order[@]}"; do
			cmdline "$name" "${files[@]}"
			usec >>"$work/b${name:0:1}"
		done
	done
	local m b
	m=$(median <"$work/bm")
	b=$(median <"$work/bb")
	awk -v m="$m" -v b="$b" -v l="$1" 'BEGIN { printf "  %-22s modalc %7.1f ms  baseline %7.1f ms  ratio %.3f   (target <= 1.5)\n", l, m / 1000, b / 1000, m / b }'
}
batch "idle machine:"
if [[ -n $timebin ]]; then
	for name in modalc baseline; do
		cmdline "$name" "${files[@]}"
		{ "$timebin" -f "  $name: %U s user + %S s sys CPU, %M KB peak RSS" "${cmd[@]}" 2>&1 >/dev/null || true; } | tail -n 1
	done
fi
# Two processes that spin keep both cores busy while the batch runs again.
for _ in 1 2; do
	(while :; do :; done) &
	spinners+=($!)
done
batch "both cores busy:"
for pid in "${spinners[@]}"; do kill "$pid" 2>/dev/null || true; done
spinners=()

echo
echo "== (d) start-up alone: median of $runs runs doing nothing"
: >"$work/m" && : >"$work/b"
for ((r = 0; r < runs; r++)); do
	cmd=("$work/modalc" explain MC001) && usec >>"$work/m"
	cmd=("$work/baseline") && usec >>"$work/b"
done
awk -v m="$(median <"$work/m")" -v b="$(median <"$work/b")" 'BEGIN { printf "  modalc explain %.2f ms   baseline (no file) %.2f ms   ratio %.3f\n", m / 1000, b / 1000, m / b }'

echo
echo "== (e) package init (GODEBUG=inittrace=1), the heaviest, median of 5 runs"
f=${files[0]}
for name in modalc baseline; do
	cmdline "$name" "$f"
	for ((r = 0; r < 5; r++)); do
		{ GODEBUG=inittrace=1 "${cmd[@]}" 2>&1 >/dev/null || true; } | awk '$1 == "init" { print $2 "\t" $5 "\t" $8 }' >"$work/init-$name-$r.tsv"
		awk -F'\t' -v r="$r" '{ t += $2 } END { print t "\t" r }' "$work/init-$name-$r.tsv"
	done | sort -g >"$work/init-$name.totals"
	# The run with the median total: its heaviest packages.
	read -r total r < <(sed -n 3p "$work/init-$name.totals")
	printf '  %s: all package inits %.2f ms (the median of 5 runs); the heaviest:\n' "$name" "$total"
	sort -t$'\t' -k2,2 -gr "$work/init-$name-$r.tsv" | head -n 6 | awk -F'\t' '{ printf "    %7.3f ms %9d bytes  %s\n", $2, $3, $1 }'
done
