#!/usr/bin/env bats
# The whole chain through real processes: vs-ingest | vs-build, then vs-query
# and vs-merge.

load helpers

setup() {
  cd "$BATS_TEST_TMPDIR"
  gen_docs 3000 16 7 >docs.jsonl
  docs_as_queries docs.jsonl >queries.jsonl
}

# recall FILE TRUTH: the fraction of TRUTH's hit ids that FILE also has, per query.
recall() {
  jq -n --slurpfile a "$1" --slurpfile e "$2" '
    [range(0; $a | length) as $i | ($e[$i].hits | map(.id)) as $t
     | ($a[$i].hits | map(.id) | map(select(. as $x | $t | index($x))) | length) / ($t | length)]
    | add / length'
}

@test "self-queries return themselves first" {
  "$VS_BIN/vs-ingest" --metric l2 docs.jsonl | "$VS_BIN/vs-build" -q -o idx --shards 2
  "$VS_BIN/vs-query" -k 5 idx <queries.jsonl >results.jsonl
  [ "$(wc -l <results.jsonl)" -eq 3000 ]
  run jq -r 'select(.id != .hits[0].id) | .id' results.jsonl
  assert_output ""
}

@test "a 3-shard index agrees with a 1-shard index" {
  "$VS_BIN/vs-ingest" --metric cosine docs.jsonl >docs.vsr
  "$VS_BIN/vs-build" -q -o one --shards 1 docs.vsr
  "$VS_BIN/vs-build" -q -o three --shards 3 docs.vsr
  head -500 queries.jsonl >q.jsonl
  "$VS_BIN/vs-query" -k 10 one <q.jsonl >one.jsonl
  "$VS_BIN/vs-query" -k 10 three <q.jsonl >three.jsonl
  "$VS_BIN/vs-query" -k 10 --exact three <q.jsonl >exact.jsonl
  run recall three.jsonl one.jsonl
  assert_success
  awk -v r="$output" 'BEGIN { exit !(r >= 0.95) }' || fail "3-shard vs 1-shard overlap $output"
  run recall three.jsonl exact.jsonl
  awk -v r="$output" 'BEGIN { exit !(r >= 0.95) }' || fail "recall@10 $output"
}

@test "the rejects file holds exactly the bad lines and the rest is indexed" {
  { head -100 docs.jsonl; echo '{"id":"nan","vec":[NaN]}'; sed -n 101,200p docs.jsonl
    echo '{"vec":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}'; echo; } >mixed.jsonl
  "$VS_BIN/vs-ingest" --skip-invalid --rejects rejects.txt mixed.jsonl 2>err.txt | "$VS_BIN/vs-build" -q -o idx
  run cat rejects.txt
  assert_output $'{"id":"nan","vec":[NaN]}\n{"vec":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}'
  run jq .count idx/manifest.json
  assert_output 200
  run grep -c 'mixed.jsonl:' err.txt
  assert_output 2
}

@test "zstd input through the whole chain" {
  zstd -q docs.jsonl -o docs.jsonl.zst
  "$VS_BIN/vs-ingest" --metric l2 docs.jsonl.zst | "$VS_BIN/vs-build" -q -o idx
  run "$VS_BIN/vs-query" -k 1 idx < <(head -3 queries.jsonl)
  assert_success
  run jq -r '.hits[0].id' <<<"$output"
  assert_output $'d1\nd2\nd3'
}

@test "per-shard results merged by vs-merge equal querying the whole index" {
  "$VS_BIN/vs-ingest" --metric l2 docs.jsonl | "$VS_BIN/vs-build" -q -o idx --shards 3
  head -200 queries.jsonl >q.jsonl
  shards=(idx/shard-*.vsi)
  for i in 0 1 2; do "$VS_BIN/vs-query" -k 10 --exact "${shards[$i]}" <q.jsonl >"part$i.jsonl"; done
  "$VS_BIN/vs-merge" -k 10 part0.jsonl part1.jsonl part2.jsonl >merged.jsonl
  "$VS_BIN/vs-query" -k 10 --exact idx <q.jsonl >whole.jsonl
  run diff <(jq -c '[.id, [.hits[].id]]' merged.jsonl) <(jq -c '[.id, [.hits[].id]]' whole.jsonl)
  assert_success
}

@test "vs-query | head -1 exits quietly" {
  "$VS_BIN/vs-ingest" --metric l2 docs.jsonl | "$VS_BIN/vs-build" -q -o idx
  run bash -c "set -o pipefail; '$VS_BIN/vs-query' -k 3 idx <queries.jsonl 2>err.txt | head -1 >/dev/null"
  assert_success
  run cat err.txt
  assert_output ""
}
