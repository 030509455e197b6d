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
(cd "$root" && go build -o "$work/modalc" ./cmd/modalc && go build -o "$work/baseline" ./bench/baseline)
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
sort -t$'\t' -k1,1 -g "$work/perfile.tsv" | awk -F'\t' '
	{ r = $1 / $2; ratio[NR] = r; m += $1; b += $2; if (r > worst) { worst = r; wf = $3; wm = $1; wb = $2 } }
	END {
		n = asort(ratio)
		med = (n % 2) ? ratio[(n + 1) / 2] : (ratio[n / 2] + ratio[n / 2 + 1]) / 2
		printf "  modalc   mean of medians %7.2f ms\n", m / NR / 1000
		printf "  baseline mean of medians %7.2f ms\n", b / NR / 1000
		printf "  ratio of the sums        %7.3f   (target <= 1.15)\n", m / b
		printf "  median per-file ratio    %7.3f\n", med
		printf "  worst file               %7.3f   %s (%.2f vs %.2f ms)\n", worst, wf, wm / 1000, wb / 1000
	}'

echo
echo "== (b) peak RSS per file (median of $rss_runs runs)"
if [[ -n $timebin ]]; then
	: >"$work/rss.tsv"
	for f in "${files[@]}"; do
		line=""
		for name in modalc baseline; do
			cmdline "$name" "$f"
			kb=$(for ((r = 0; r < rss_runs; r++)); do "$timebin" -f %M "${cmd[@]}" 2>&1 >/dev/null | tail -n 1; done | median)
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
		"$timebin" -f "  $name: %U s user + %S s sys CPU, %M KB peak RSS" "${cmd[@]}" 2>&1 >/dev/null | tail -n 1
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
		GODEBUG=inittrace=1 "${cmd[@]}" 2>&1 >/dev/null | awk -v r="$r" '$1 == "init" { print r "\t" $2 "\t" $5 "\t" $8 }'
	done >"$work/init-$name.tsv"
	awk -F'\t' -v name="$name" '
		{ clock[$2] = clock[$2] " " $3; bytes[$2] = $4; total[$1] += $3 }
		END {
			for (p in clock) { n = split(clock[p], v, " "); asort(v); med[p] = v[int((n + 1) / 2)] }
			n = asort(total, t)
			printf "  %s: all inits %.2f ms (median run)\n", name, t[int((n + 1) / 2)]
			cmd = "sort -t\"\t\" -k2,2 -gr | head -n 8"
			for (p in med) printf "    %s\t%.3f ms\t%s bytes\n", p, med[p], bytes[p] | cmd
			close(cmd)
		}' "$work/init-$name.tsv"
done
