#!/usr/bin/env bats
# shellcheck disable=SC2154  # $stderr: set by bats run --separate-stderr
# Filtered search through the real binaries: vs-build's field indexes, the
# filter syntax and its errors in vs-query, --with-meta and "include",
# --explain, several shards, vs-merge, and vs-serve (also as an http:// shard).
# Expected hits come from the hand-written documents below or from awk over
# the generated ones, never from vs itself.

load helpers
bats_require_minimum_version 1.5.0

# Nine documents on a line, l2: document dN sits at [N,0,0], so from the
# origin it is at distance N (score -N) and hits come in id order. Fields:
#   cat    a string (d7 has no fields, d9 has null)
#   year   a number (2020.5 in d9; d7 and d8 have none)
#   tags   an array of strings (d3 empty; d8 a plain string)
#   sizes  an array of numbers
#   active a boolean (never indexed)
#   price  a number with decimals
#   extra  an object (never indexed)
write_docs() {
  cat <<'EOF'
{"id":"d1","vec":[1,0,0],"cat":"news","year":2019,"tags":["a","b"],"sizes":[1,10],"active":true,"price":5}
{"id":"d2","vec":[2,0,0],"cat":"sport","year":2020,"tags":["b"],"sizes":[2],"active":false,"price":12.5}
{"id":"d3","vec":[3,0,0],"cat":"news","year":2021,"tags":[],"active":true}
{"id":"d4","vec":[4,0,0],"cat":"tech","year":2022,"tags":["c","a"],"sizes":[4,40],"price":7}
{"id":"d5","vec":[5,0,0],"cat":"sport","year":2023,"tags":["a"],"active":true,"price":3.25}
{"id":"d6","vec":[6,0,0],"cat":"news","year":2024,"sizes":[6]}
{"id":"d7","vec":[7,0,0]}
{"id":"d8","vec":[8,0,0],"cat":"tech","tags":"b","price":0.1}
{"id":"d9","vec":[9,0,0],"cat":null,"year":2020.5,"extra":{"cat":"news"}}
EOF
}

# The fields vs-build indexes by default: every field holding a string or a
# number somewhere, sorted (not active: booleans only; not extra: an object).
INDEXED="cat, price, sizes, tags, year"

# Filter cases: FILTER<TAB>hits from the origin with k 10, worked out by hand.
write_cases() {
  cat <<'EOF'
{"cat":"news"}	d1 d3 d6
{"cat":{"eq":"tech"}}	d4 d8
{"cat":{"in":["sport","tech"]}}	d2 d4 d5 d8
{"year":2020}	d2
{"year":2020.0}	d2
{"year":2020.5}	d9
{"year":{"in":[2019,2024]}}	d1 d6
{"year":{"gte":2020,"lt":2023}}	d2 d3 d4 d9
{"year":{"gt":2020,"lte":2022}}	d3 d4 d9
{"year":{"gt":2020,"lt":2021}}	d9
{"year":{"lt":2000}}	
{"year":{"in":[2019,2024],"gte":2020}}	d6
{"price":{"gt":3,"lt":3.5}}	d5
{"price":{"lte":0.1}}	d8
{"not":{"cat":"news"}}	d2 d4 d5 d7 d8 d9
{"not":{"year":{"gte":2000}}}	d7 d8
{"not":{"not":{"cat":"news"}}}	d1 d3 d6
{"or":[{"cat":"tech"},{"year":{"lte":2019}}]}	d1 d4 d8
{"and":[{"cat":"news"},{"year":{"gt":2019}}]}	d3 d6
{"cat":"sport","tags":"a"}	d5
{"cat":"news","year":{"gte":2020},"tags":{"in":["a","b"]}}	
{"tags":"a"}	d1 d4 d5
{"tags":"b"}	d1 d2 d8
{"not":{"tags":"a"}}	d2 d3 d6 d7 d8 d9
{"sizes":{"gte":5,"lt":20}}	d1 d6
{"sizes":40}	d4
{"or":[{"not":{"cat":{"in":["news","sport","tech"]}}},{"and":[{"tags":"c"},{"sizes":{"gt":30}}]}]}	d4 d7 d9
{}	d1 d2 d3 d4 d5 d6 d7 d8 d9
EOF
}

# The input line of document $1 without its id and vector: its metadata as written.
meta_of() { sed -n "s/^{\"id\":\"$1\",\"vec\":\[[^]]*\],\{0,1\}/{/p" "$DOCS"; }

setup_file() {
  local dir="$BATS_FILE_TMPDIR"
  write_docs >"$dir/docs.jsonl"
  write_cases >"$dir/cases.tsv"
  "$VS_BIN/vs-ingest" --metric l2 "$dir/docs.jsonl" >"$dir/docs.vsr"
  "$VS_BIN/vs-build" -q -o "$dir/idx1" <"$dir/docs.vsr"
  "$VS_BIN/vs-build" -q --shards 3 -o "$dir/idx3" <"$dir/docs.vsr"
  # Every case as a query line with its own filter, from the origin.
  awk -F '\t' '{ printf "{\"id\":\"c%d\",\"vector\":[0,0,0],\"filter\":%s}\n", NR, $1 }' \
    "$dir/cases.tsv" >"$dir/case-queries.jsonl"

  # 2000 generated 16-d documents with a category c0..c9 and a number n
  # (0..49): big enough that a broad filter takes the graph plan.
  gen_docs 2000 16 7 | awk '{ sub(/}$/, ",\"n\":" (NR % 50) "}"); print }' >"$dir/big.jsonl"
  "$VS_BIN/vs-ingest" --metric l2 "$dir/big.jsonl" | "$VS_BIN/vs-build" -q -o "$dir/big"
}

setup() {
  DOCS="$BATS_FILE_TMPDIR/docs.jsonl"
  VSR="$BATS_FILE_TMPDIR/docs.vsr"
  IDX="$BATS_FILE_TMPDIR/idx1"
  IDX3="$BATS_FILE_TMPDIR/idx3"
  BIG="$BATS_FILE_TMPDIR/big"
  BIG_DOCS="$BATS_FILE_TMPDIR/big.jsonl"
  CASES="$BATS_FILE_TMPDIR/cases.tsv"
  CASE_QUERIES="$BATS_FILE_TMPDIR/case-queries.jsonl"
  T="$BATS_TEST_TMPDIR"
  PIDS=()
}

teardown() { kill_started; }

# The hit ids of each result line, space-separated, one line per query.
hit_ids() { jq -r '[.hits[].id] | join(" ")' "$@"; }

# origin_query [FIELDS]: a query line from the origin, with extra fields.
origin_query() { echo "{\"id\":\"q\",\"vector\":[0,0,0]${1:+,$1}}"; }

# start_server ARGS...: vs-serve on a free port (read from its stderr); sets URL.
start_server() { start_vs_serve "$@"; }

# post BODY: POSTs BODY to /search; prints the body, then the status on a line of its own.
post() { curl -s --max-time 10 -w '\n%{http_code}' -X POST --data-binary "$1" "$URL/search"; }

@test "every filter case gives the hand-worked hits, with --exact and without, per query and as --filter" {
  local filter want mode
  # All cases at once, each query line carrying its own filter.
  for mode in "" --exact; do
    run "$VS_BIN/vs-query" $mode -i "$CASE_QUERIES" "$IDX"
    assert_success
    diff <(echo "$output" | hit_ids) <(cut -f2 "$CASES")
  done
  # Each case again as the run-wide --filter (one query each).
  while IFS=$'\t' read -r filter want; do
    origin_query | "$VS_BIN/vs-query" --filter "$filter" "$IDX"
  done <"$CASES" >"$T/runwide.jsonl"
  diff <(hit_ids "$T/runwide.jsonl") <(cut -f2 "$CASES")
  # --vector takes --filter too, with and without --exact.
  assert_equal "$("$VS_BIN/vs-query" --vector 0,0,0 --filter '{"not":{"tags":"a"}}' "$IDX" | hit_ids)" "d2 d3 d6 d7 d8 d9"
  assert_equal "$("$VS_BIN/vs-query" --exact --vector 0,0,0 --filter '{"sizes":{"gte":5,"lt":20}}' "$IDX" | hit_ids)" "d1 d6"
}

@test "filtered hits are ranked among the matches only, with exact scores, and k cuts them" {
  cat >"$T/q.jsonl" <<'EOF'
{"id":"near","vector":[0,0,0],"k":2,"filter":{"cat":"news"}}
{"id":"far","vector":[10,0,0],"filter":{"cat":"news"}}
EOF
  run "$VS_BIN/vs-query" -i "$T/q.jsonl" "$IDX"
  assert_success
  assert_line --index 0 '{"id":"near","hits":[{"id":"d1","score":-1},{"id":"d3","score":-3}]}'
  assert_line --index 1 '{"id":"far","hits":[{"id":"d6","score":-4},{"id":"d3","score":-7},{"id":"d1","score":-9}]}'
}

@test "a query's filter and the run's --filter are ANDed; \"filters\" is the same field" {
  cat >"$T/q.jsonl" <<'EOF'
{"id":"own","vector":[0,0,0],"filter":{"year":{"gt":2019}}}
{"id":"alias","vector":[0,0,0],"filters":{"year":{"gt":2019}}}
{"id":"none","vector":[0,0,0]}
EOF
  run "$VS_BIN/vs-query" --filter '{"cat":"news"}' -i "$T/q.jsonl" "$IDX"
  assert_success
  diff <(echo "$output" | jq -r '.id + ": " + ([.hits[].id] | join(" "))') - <<'EOF'
own: d3 d6
alias: d3 d6
none: d1 d3 d6
EOF
  # Without --filter, "filters" alone.
  origin_query '"filters":{"tags":"b"}' >"$T/q.jsonl"
  run "$VS_BIN/vs-query" -i "$T/q.jsonl" "$IDX"
  assert_success
  assert_equal "$(echo "$output" | hit_ids)" "d1 d2 d8"
}

@test "an index with three shards gives the same filtered answers as one shard" {
  local mode
  for mode in "" --exact; do
    run diff <("$VS_BIN/vs-query" $mode --with-meta -i "$CASE_QUERIES" "$IDX3") \
      <("$VS_BIN/vs-query" $mode --with-meta -i "$CASE_QUERIES" "$IDX")
    assert_success
  done
  run diff <("$VS_BIN/vs-query" --filter '{"not":{"cat":"news"}}' -i "$CASE_QUERIES" "$IDX3"/*.vsi) \
    <("$VS_BIN/vs-query" --filter '{"not":{"cat":"news"}}' -i "$CASE_QUERIES" "$IDX")
  assert_success
}

@test "--with-meta gives every hit its metadata exactly as in the input" {
  run "$VS_BIN/vs-query" --with-meta --vector 0,0,0 "$IDX"
  assert_success
  local i want='{"id":"vector","hits":['
  for i in 1 2 3 4 5 6 7 8 9; do
    ((i > 1)) && want+=','
    want+="{\"id\":\"d$i\",\"score\":-$i,\"meta\":$(meta_of d$i)}"
  done
  assert_output "$want]}"
  # The two documents with nothing or null to index, spelled out.
  assert_output --partial '{"id":"d7","score":-7,"meta":{}}'
  assert_output --partial '{"id":"d9","score":-9,"meta":{"cat":null,"year":2020.5,"extra":{"cat":"news"}}}'
  # Without it, no "meta" at all.
  run "$VS_BIN/vs-query" --vector 0,0,0 "$IDX"
  refute_output --partial '"meta"'
}

@test "\"include\": true is --with-meta for one query; a list picks fields; false turns --with-meta off" {
  cat >"$T/q.jsonl" <<'EOF'
{"id":"all","vector":[0,0,0],"k":2,"include":true}
{"id":"some","vector":[0,0,0],"include":["year","cat","nope"],"filter":{"cat":{"in":["news","tech"]}}}
{"id":"none","vector":[0,0,0],"k":1,"include":[]}
{"id":"plain","vector":[0,0,0],"k":1}
EOF
  run "$VS_BIN/vs-query" -i "$T/q.jsonl" "$IDX"
  assert_success
  assert_line --index 0 "{\"id\":\"all\",\"hits\":[{\"id\":\"d1\",\"score\":-1,\"meta\":$(meta_of d1)},{\"id\":\"d2\",\"score\":-2,\"meta\":$(meta_of d2)}]}"
  # Fields in the document's own order; a field a document lacks is left out.
  assert_line --index 1 '{"id":"some","hits":[{"id":"d1","score":-1,"meta":{"cat":"news","year":2019}},{"id":"d3","score":-3,"meta":{"cat":"news","year":2021}},{"id":"d4","score":-4,"meta":{"cat":"tech","year":2022}},{"id":"d6","score":-6,"meta":{"cat":"news","year":2024}},{"id":"d8","score":-8,"meta":{"cat":"tech"}}]}'
  assert_line --index 2 '{"id":"none","hits":[{"id":"d1","score":-1,"meta":{}}]}'
  assert_line --index 3 '{"id":"plain","hits":[{"id":"d1","score":-1}]}'

  cat >"$T/q.jsonl" <<'EOF'
{"id":"off","vector":[0,0,0],"k":1,"include":false}
{"id":"pick","vector":[0,0,0],"k":1,"include":["price"]}
{"id":"dflt","vector":[0,0,0],"k":1}
EOF
  run "$VS_BIN/vs-query" --with-meta -i "$T/q.jsonl" "$IDX"
  assert_success
  assert_line --index 0 '{"id":"off","hits":[{"id":"d1","score":-1}]}'
  assert_line --index 1 '{"id":"pick","hits":[{"id":"d1","score":-1,"meta":{"price":5}}]}'
  assert_line --index 2 "{\"id\":\"dflt\",\"hits\":[{\"id\":\"d1\",\"score\":-1,\"meta\":$(meta_of d1)}]}"
}

@test "--explain prints each filtered query's match count and plan per shard on stderr" {
  local shard
  shard=$(ls "$IDX"/*.vsi)
  cat >"$T/q.jsonl" <<'EOF'
{"id":"q","vector":[0,0,0],"filter":{"cat":"news"}}
{"id":"plain","vector":[0,0,0]}
{"id":"none","vector":[0,0,0],"filter":{"year":{"lt":0}}}
EOF
  run --separate-stderr "$VS_BIN/vs-query" --explain -i "$T/q.jsonl" "$IDX"
  assert_success
  [ "${#lines[@]}" -eq 3 ]
  # No line for the query without a filter; "empty" for one nothing matches.
  assert_equal "$stderr" "vs-query: explain: query 'q' shard '$shard': 3 of 9 match (33.33%), plan exact
vs-query: explain: query 'none' shard '$shard': 0 of 9 match (0.00%), plan empty"
  assert_equal "$(echo "$output" | sed -n 3p)" '{"id":"none","hits":[]}'

  # --vector, and --filter as the run's filter.
  run --separate-stderr "$VS_BIN/vs-query" --explain --exact --filter '{"tags":"b"}' --vector 0,0,0 "$IDX"
  assert_success
  assert_equal "$stderr" "vs-query: explain: query 'vector' shard '$shard': 3 of 9 match (33.33%), plan exact"

  # Three shards: a line each, and the counts add up to the whole index.
  run --separate-stderr "$VS_BIN/vs-query" --explain --filter '{"not":{"cat":"news"}}' "$IDX3" <<<'{"id":"q","vector":[0,0,0]}'
  assert_success
  [ "$(grep -c "^vs-query: explain: query 'q' shard '$IDX3/shard-000[0-2]-g000001.vsi': [0-9]* of [0-9]* match (.*), plan \(exact\|empty\)$" <<<"$stderr")" -eq 3 ]
  assert_equal "$(sed -E 's/.*: ([0-9]+) of ([0-9]+) match.*/\1 \2/' <<<"$stderr" | awk '{ a += $1; n += $2 } END { print a, n }')" "6 9"
}

@test "the plan follows selectivity: graph with widened ef for a broad filter, exact for a narrow one" {
  local c1 s ef
  c1=$(grep -c '"category":"c1"' "$BIG_DOCS")
  # Not c1 (~90%): graph. ef widened by 1/sqrt(selectivity), at most 4x.
  ef=$(awk -v a=$((2000 - c1)) 'BEGIN { s = a / 2000; w = 1 / sqrt(s); if (w > 4) w = 4; e = 16 * w
                                        print (e == int(e)) ? e : int(e) + 1 }')
  run --separate-stderr "$VS_BIN/vs-query" --explain -k 10 --ef 16 --filter '{"not":{"category":"c1"}}' \
    --vector "$(sed -n '1s/.*"vec":\[\([^]]*\)\].*/\1/p' "$BIG_DOCS")" "$BIG"
  assert_success
  s=$(awk -v a=$((2000 - c1)) 'BEGIN { printf "%.2f", 100 * a / 2000 }')
  assert_equal "$stderr" "vs-query: explain: query 'vector' shard '$(ls "$BIG"/*.vsi)': $((2000 - c1)) of 2000 match ($s%), plan graph with ef $ef"
  # Everything allowed: the plain HNSW walk, ef not widened.
  run --separate-stderr "$VS_BIN/vs-query" --explain --ef 16 --filter '{"n":{"gte":0}}' --vector "$(sed -n '1s/.*"vec":\[\([^]]*\)\].*/\1/p' "$BIG_DOCS")" "$BIG"
  assert_success
  assert_output --partial '"hits":[{"id":"d1","score":0}'
  assert_equal "${stderr##*plan }" "graph with ef 16"
  # c1 alone (~10%): the exact plan; with --exact, exact whatever the selectivity.
  run --separate-stderr "$VS_BIN/vs-query" --explain --ef 16 --filter '{"category":"c1"}' --vector 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0 "$BIG"
  assert_success
  assert_equal "${stderr##* match }" "($(awk -v a="$c1" 'BEGIN { printf "%.2f", 100 * a / 2000 }')%), plan exact"
  run --separate-stderr "$VS_BIN/vs-query" --explain --exact --filter '{"not":{"category":"c1"}}' --vector 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0 "$BIG"
  assert_equal "${stderr##*plan }" "exact"
}

@test "on 2000 documents, filtered --exact equals brute force in awk and the graph plan finds nearly all of it" {
  # 20 documents as queries, each with one of two filters; awk computes the
  # exact top 10 among the matching documents.
  head -20 "$BIG_DOCS" | awk '{ f = NR % 2 ? "{\"not\":{\"category\":\"c1\"}}" : "{\"category\":{\"in\":[\"c2\",\"c3\",\"c4\",\"c5\",\"c6\"]},\"n\":{\"lt\":40}}"
      id = $0; sub(/^\{"id":"/, "", id); sub(/".*/, "", id)
      v = $0; sub(/.*"vec":\[/, "", v); sub(/\].*/, "", v)
      printf "{\"id\":\"%s\",\"vector\":[%s],\"filter\":%s}\n", id, v, f }' >"$T/q.jsonl"
  awk 'function parse(line, v,   s, n, i, parts) {
         s = line; sub(/.*"vec(tor)?":\[/, "", s); sub(/\].*/, "", s)
         n = split(s, parts, ","); for (i = 1; i <= n; i++) v[i] = parts[i] + 0; return n
       }
       NR == FNR { id = $0; sub(/^\{"id":"/, "", id); sub(/".*/, "", id); ids[++count] = id
                   c = $0; sub(/.*"category":"/, "", c); sub(/".*/, "", c); cat[count] = c
                   n = $0; sub(/.*"n":/, "", n); sub(/}.*/, "", n); num[count] = n + 0
                   dim = parse($0, tmp); for (i = 1; i <= dim; i++) doc[count, i] = tmp[i]; next }
       { parse($0, q); odd = FNR % 2
         cmd = "sort -g -k1,1 | head -10 | cut -d\" \" -f2 | tr \"\\n\" \" \""
         for (j = 1; j <= count; j++) {
           if (odd && cat[j] == "c1") continue
           if (!odd && (cat[j] !~ /^c[2-6]$/ || num[j] >= 40)) continue
           s = 0; for (i = 1; i <= dim; i++) { t = doc[j, i] - q[i]; s += t * t }
           printf "%.9g %s\n", s, ids[j] | cmd }
         close(cmd); print "" }' "$BIG_DOCS" "$T/q.jsonl" | sed 's/ $//' >"$T/want"
  run --separate-stderr "$VS_BIN/vs-query" --exact -i "$T/q.jsonl" "$BIG"
  assert_success
  diff <(echo "$output" | hit_ids) "$T/want"
  # Without --exact: the odd queries take the graph plan; recall@10 over all
  # 20 at least 0.95, and every hit matches its filter.
  run --separate-stderr "$VS_BIN/vs-query" --explain --with-meta -k 10 --ef 16 -i "$T/q.jsonl" "$BIG"
  assert_success
  [ "$(grep -c 'plan graph' <<<"$stderr")" -eq 10 ]
  [ "$(grep -c 'plan exact' <<<"$stderr")" -eq 10 ]
  echo "$output" | hit_ids >"$T/got"
  local found
  found=$(paste -d '|' "$T/got" "$T/want" | awk -F '|' '{ n = split($2, w, " "); split($1, g, " ")
            for (i in g) seen[g[i]] = 1; for (i = 1; i <= n; i++) if (w[i] in seen) f++; delete seen } END { print f + 0 }')
  [ "$found" -ge 190 ] || fail "recall: $found of 200"
  run jq -r '(.id | ltrimstr("d") | tonumber % 2) as $odd | .hits[] |
             select(if $odd == 1 then .meta.category == "c1"
                    else (.meta.category | test("^c[2-6]$") | not) or .meta.n >= 40 end) | .id' <<<"$output"
  assert_output ""
}

@test "a bad filter on a query line exits 65 naming FILE:LINE and the problem" {
  bad() {
    printf '%s\n' "$(origin_query)" "$(origin_query "\"filter\":$1")" >"$T/bad.jsonl"
    run "$VS_BIN/vs-query" -i "$T/bad.jsonl" "$IDX"
    assert_failure 65
    assert_output --partial "vs-query: $T/bad.jsonl:2: $2"
    # The query before the bad one was answered.
    assert_line --index 0 --partial '{"id":"q","hits":[{"id":"d1"'
  }
  bad '{"colour":"red"}' "filter: field 'colour' is not indexed (indexed: $INDEXED)"
  bad '{"active":{"in":["yes"]}}' "filter: field 'active' is not indexed (indexed: $INDEXED)"
  bad '{"extra":"news"}' "filter: field 'extra' is not indexed (indexed: $INDEXED)"
  bad '{"not":{"or":[{"cat":"news"},{"colour":"red"}]}}' "filter: field 'colour' is not indexed"
  bad '{"cat":5}' "filter: field 'cat' holds strings, not numbers"
  bad '{"cat":{"in":["news",5]}}' "filter: field 'cat' holds strings, not numbers"
  bad '{"year":"2020"}' "filter: field 'year' holds numbers, not strings"
  bad '{"cat":{"gte":1}}' "filter: field 'cat' holds strings, so a range cannot apply"
  bad '{"tags":{"lt":3}}' "filter: field 'tags' holds strings, so a range cannot apply"
  bad '{"year":{"gte":"2020"}}' "filter: 'year': 'gte' needs a number"
  bad '{"year":{"between":[1,2]}}' "filter: 'year': unknown operator 'between' (expected eq, in, gt, gte, lt or lte)"
  bad '{"cat":{"in":[]}}' "filter: 'cat': 'in' has an empty array"
  bad '{"cat":{"in":"news"}}' "filter: 'cat': 'in' needs an array"
  bad '{"cat":{}}' "filter: 'cat': empty condition"
  bad '{"cat":true}' "filter: 'cat': values must be strings or numbers"
  bad '{"active":true}' "filter: 'active': values must be strings or numbers"
  bad '{"cat":null}' "filter: 'cat': values must be strings or numbers"
  bad '{"cat":{"eq":"news"},"tags":["a"]}' "filter: 'tags': a list of values needs {\"in\": [...]}"
  bad '{"not":{}}' "filter: 'not' has an empty filter object"
  bad '{"or":[]}' "filter: 'or' has an empty array"
  bad '{"and":{"cat":"news"}}' "filter: 'and' needs an array of filter objects"
  bad '"cat"' "filter: must be a JSON object"
  bad '{"cat":{"eq":"news","in":["tech"]}}' "filter: 'cat': 'eq' and 'in' cannot be combined"
  bad '{"year":{"gt":1,"gte":2}}' "filter: 'year': more than one lower bound"
  # Two filter fields, and a filter that is not JSON.
  printf '%s\n' "$(origin_query)" "$(origin_query '"filter":{"cat":"news"},"filters":{"cat":"tech"}')" >"$T/bad.jsonl"
  run "$VS_BIN/vs-query" -i "$T/bad.jsonl" "$IDX"
  assert_failure 65
  assert_output --partial "vs-query: $T/bad.jsonl:2: more than one 'filter'"
  printf '%s\n' "$(origin_query)" '{"id":"q","vector":[0,0,0],"filter":{"cat":}}' >"$T/bad.jsonl"
  run "$VS_BIN/vs-query" -i "$T/bad.jsonl" "$IDX"
  assert_failure 65
  assert_output --partial "vs-query: $T/bad.jsonl:2: "
  # A bad "include".
  printf '%s\n' "$(origin_query)" "$(origin_query '"include":"cat"')" >"$T/bad.jsonl"
  run "$VS_BIN/vs-query" -i "$T/bad.jsonl" "$IDX"
  assert_failure 65
  assert_output --partial "vs-query: $T/bad.jsonl:2: 'include' must be true, false or an array of field names"
  # stdin is named as such; the query's filter is checked ANDed with --filter.
  run "$VS_BIN/vs-query" --filter '{"cat":"news"}' "$IDX" <<<'{"vector":[0,0,0],"filter":{"year":"x"}}'
  assert_failure 65
  assert_output "vs-query: stdin:1: filter: field 'year' holds numbers, not strings"
}

@test "a bad --filter exits 2 naming the flag and the problem, before reading queries" {
  bad() {
    run "$VS_BIN/vs-query" --filter "$1" "$IDX" </dev/null
    assert_failure 2
    assert_output "vs-query: --filter: $2"
  }
  bad '{"colour":"red"}' "field 'colour' is not indexed (indexed: $INDEXED)"
  bad '{"cat":5}' "field 'cat' holds strings, not numbers"
  bad '{"cat":{"lt":5}}' "field 'cat' holds strings, so a range cannot apply"
  bad '{"cat":' "'cat': invalid JSON"
  bad 'news' "invalid JSON"
  bad '{"cat":"news"} x' "unexpected text after the object"
  bad '[{"cat":"news"}]' "must be a JSON object"
  bad '5' "must be a JSON object"
  bad 'null' "must be a JSON object"
  bad 'true' "must be a JSON object"
  bad '"cat"' "must be a JSON object"
  bad 'nul' "invalid JSON"
  bad '{"year":{"above":3}}' "'year': unknown operator 'above' (expected eq, in, gt, gte, lt or lte)"
  bad '{"cat":{"in":[]}}' "'cat': 'in' has an empty array"
  bad '{"active":false}' "'active': values must be strings or numbers"
  # --vector takes the same check.
  run "$VS_BIN/vs-query" --filter '{"colour":"red"}' --vector 0,0,0 "$IDX"
  assert_failure 2
}

@test "--skip-invalid skips a line with a bad filter, writes it to --rejects and answers the rest" {
  {
    origin_query '"filter":{"cat":"news"}'
    origin_query '"filter":{"colour":"red"}'
    origin_query '"filter":{"year":{"in":[]}}'
    echo '{"id":"last","vector":[0,0,0],"k":1,"filter":{"tags":"c"}}'
  } >"$T/mixed.jsonl"
  run --separate-stderr "$VS_BIN/vs-query" --skip-invalid --rejects "$T/rejects" -i "$T/mixed.jsonl" "$IDX"
  assert_success
  assert_equal "$(echo "$output" | hit_ids)" "d1 d3 d6
d4"
  assert_equal "$stderr" "vs-query: $T/mixed.jsonl:2: filter: field 'colour' is not indexed (indexed: $INDEXED)
vs-query: $T/mixed.jsonl:3: filter: 'year': 'in' has an empty array
vs-query: skipped 2 invalid queries"
  diff "$T/rejects" <(sed -n 2,3p "$T/mixed.jsonl")
}

@test "vs-build --index-fields indexes only the named fields; a filter on another lists them" {
  run "$VS_BIN/vs-build" -o "$T/some" --index-fields year,cat <"$VSR"
  assert_success
  assert_output --regexp ', fields indexed: cat,year$'
  run "$VS_BIN/vs-query" --filter '{"cat":"news","year":{"gte":2020}}' --vector 0,0,0 "$T/some"
  assert_success
  assert_equal "$(echo "$output" | hit_ids)" "d3 d6"
  run "$VS_BIN/vs-query" --filter '{"tags":"a"}' --vector 0,0,0 "$T/some"
  assert_failure 2
  assert_output "vs-query: --filter: field 'tags' is not indexed (indexed: cat, year)"
  run "$VS_BIN/vs-query" "$T/some" <<<'{"vector":[0,0,0],"filter":{"price":5}}'
  assert_failure 65
  assert_output "vs-query: stdin:1: filter: field 'price' is not indexed (indexed: cat, year)"
  # Repeating the flag adds to the list.
  run "$VS_BIN/vs-build" -o "$T/some2" --index-fields tags --index-fields sizes <"$VSR"
  assert_success
  assert_output --regexp ', fields indexed: sizes,tags$'
  # The default summary names every field indexed.
  run "$VS_BIN/vs-build" -o "$T/all" <"$VSR"
  assert_success
  assert_output --regexp ', fields indexed: cat,price,sizes,tags,year$'
}

@test "vs-build --index-fields with a field no record holds a string or number in exits 2 and writes nothing" {
  run "$VS_BIN/vs-build" -o "$T/typo" --index-fields cat,yaer <"$VSR"
  assert_failure 2
  assert_output "vs-build: --index-fields: no record has a string or number in field 'yaer'"
  [ ! -e "$T/typo/manifest.json" ]
  run "$VS_BIN/vs-build" -o "$T/bools" --index-fields active <"$VSR"
  assert_failure 2
  assert_output "vs-build: --index-fields: no record has a string or number in field 'active'"
  run "$VS_BIN/vs-build" -o "$T/both" --index-fields cat --no-index-fields <"$VSR"
  assert_failure 2
}

@test "vs-build --no-index-fields: no filters, but searches and metadata still work" {
  run "$VS_BIN/vs-build" -o "$T/none" --no-index-fields <"$VSR"
  assert_success
  assert_output --regexp ', fields indexed: none$'
  run "$VS_BIN/vs-query" --filter '{"cat":"news"}' --vector 0,0,0 "$T/none"
  assert_failure 2
  assert_output "vs-query: --filter: field 'cat' is not indexed (this index has no field indexes; rebuild it with vs-build --index-fields)"
  run "$VS_BIN/vs-query" "$T/none" <<<'{"vector":[0,0,0],"k":1,"filter":{"cat":"news"}}'
  assert_failure 65
  assert_output --partial "stdin:1: filter: field 'cat' is not indexed (this index has no field indexes"
  run "$VS_BIN/vs-query" -k 1 --with-meta --vector 0,0,0 "$T/none"
  assert_success
  assert_output "{\"id\":\"vector\",\"hits\":[{\"id\":\"d1\",\"score\":-1,\"meta\":$(meta_of d1)}]}"
  # The shards are smaller than with field indexes, and verify.
  run "$VS_BIN/vs-query" --verify --vector 0,0,0 "$T/none"
  assert_success
  [ "$(stat -c %s "$T"/none/*.vsi)" -lt "$(stat -c %s "$IDX"/*.vsi)" ]
}

@test "local shards of builds with different field indexes: a filter must fit every one, in any order" {
  "$VS_BIN/vs-build" -q -o "$T/none" --no-index-fields <"$VSR"
  "$VS_BIN/vs-build" -q -o "$T/some" --index-fields year,cat <"$VSR"
  local none some
  none=$(ls "$T"/none/*.vsi)
  some=$(ls "$T"/some/*.vsi)
  # A shard without the field would match nothing: an error naming it, as
  # --filter (exit 2) and in a query line (exit 65), whichever comes first.
  local order
  for order in "$T/none $IDX" "$IDX $T/none"; do
    # shellcheck disable=SC2086  # two directories, split on purpose
    run "$VS_BIN/vs-query" --explain --filter '{"cat":"news"}' $order </dev/null
    assert_failure 2
    assert_output "vs-query: --filter: shard '$none': field 'cat' is not indexed (this index has no field indexes; rebuild it with vs-build --index-fields)"
    # shellcheck disable=SC2086
    run "$VS_BIN/vs-query" $order <<<"$(origin_query '"filter":{"cat":"news"}')"
    assert_failure 65
    assert_output "vs-query: stdin:1: filter: shard '$none': field 'cat' is not indexed (this index has no field indexes; rebuild it with vs-build --index-fields)"
  done
  # A field one build indexes and the other does not.
  run "$VS_BIN/vs-query" --filter '{"tags":"a"}' --vector 0,0,0 "$IDX" "$T/some"
  assert_failure 2
  assert_output "vs-query: --filter: shard '$some': field 'tags' is not indexed (indexed: cat, year)"
  # Fields both index: answered from both (the same documents, so each hit once).
  run "$VS_BIN/vs-query" --filter '{"cat":"news","year":{"gte":2020}}' --vector 0,0,0 "$T/some" "$IDX"
  assert_success
  assert_equal "$(echo "$output" | hit_ids)" "d3 d6"
  # Without a filter, shards without field indexes still search with the others.
  run "$VS_BIN/vs-query" -k 2 --vector 0,0,0 "$T/none" "$IDX"
  assert_success
  assert_equal "$(echo "$output" | hit_ids)" "d1 d2"
}

@test "vs-serve of index directories with different field indexes: a filter one lacks is a 400 naming it" {
  "$VS_BIN/vs-build" -q -o "$T/some" --index-fields year,cat <"$VSR"
  start_server "$IDX3" "$T/some"
  run post "$(origin_query '"filter":{"tags":"a"}')"
  assert_line --index 1 400
  assert_equal "$(echo "${lines[0]}" | jq -r .error)" \
    "filter: shard '$(ls "$T"/some/*.vsi)': field 'tags' is not indexed (indexed: cat, year)"
  run post "$(origin_query '"filter":{"cat":"news"}')"
  assert_line --index 1 200
  assert_line --index 0 '{"id":"q","hits":[{"id":"d1","score":-1},{"id":"d3","score":-3},{"id":"d6","score":-6}]}'
  # /info lists the fields a filter can name: those every shard indexes.
  assert_equal "$(curl -s --max-time 10 "$URL/info" | jq -c .fields)" '["cat","year"]'
}

@test "vs-build does not index fields named not, and or or; naming one in --index-fields exits 2" {
  printf '%s\n' '{"id":"o1","vec":[1,0],"cat":"x","not":"y","and":1,"or":["z"]}' \
    '{"id":"o2","vec":[2,0],"cat":"w","not":"v"}' >"$T/ops.jsonl"
  "$VS_BIN/vs-ingest" --metric l2 "$T/ops.jsonl" >"$T/ops.vsr"
  run "$VS_BIN/vs-build" -o "$T/ops" <"$T/ops.vsr"
  assert_success
  assert_output --regexp ', fields indexed: cat$'
  run "$VS_BIN/vs-query" --filter '{"colour":"x"}' --vector 0,0 "$T/ops"
  assert_failure 2
  assert_output "vs-query: --filter: field 'colour' is not indexed (indexed: cat)"
  # The documents keep those fields as metadata.
  run "$VS_BIN/vs-query" -k 1 --with-meta --vector 0,0 "$T/ops"
  assert_output '{"id":"vector","hits":[{"id":"o1","score":-1,"meta":{"cat":"x","not":"y","and":1,"or":["z"]}}]}'
  local name
  for name in not and or; do
    run "$VS_BIN/vs-build" -o "$T/ops-$name" --index-fields "cat,$name" <"$T/ops.vsr"
    assert_failure 2
    assert_output "vs-build: --index-fields: '$name' is reserved by the filter syntax (an operator), so a field of that name cannot be filtered on"
    [ ! -e "$T/ops-$name/manifest.json" ]
  done
}

@test "shards with field indexes pass --verify" {
  run "$VS_BIN/vs-query" --verify --filter '{"cat":"news"}' --vector 0,0,0 "$IDX3"
  assert_success
}

@test "vs-merge passes each hit's meta through" {
  local shards=("$IDX3"/*.vsi) i
  for i in 0 1 2; do
    "$VS_BIN/vs-query" --with-meta -i "$CASE_QUERIES" "${shards[$i]}" >"$T/r$i.jsonl"
  done
  run "$VS_BIN/vs-merge" -k 10 "$T/r0.jsonl" "$T/r1.jsonl" "$T/r2.jsonl"
  assert_success
  diff <(echo "$output") <("$VS_BIN/vs-query" --with-meta -i "$CASE_QUERIES" "$IDX")
  assert_output --partial "{\"id\":\"d9\",\"score\":-9,\"meta\":$(meta_of d9)}"
}

@test "vs-serve: /search with filter and include answers as vs-query does" {
  start_server "$IDX3"
  # One query with a filter and an include list.
  local one='{"id":"q","vector":[0,0,0],"filter":{"tags":{"in":["a","c"]}},"include":["tags","cat"]}'
  run post "$one"
  assert_line --index 1 200
  assert_line --index 0 "$(echo "$one" | "$VS_BIN/vs-query" "$IDX")"
  assert_line --index 0 '{"id":"q","hits":[{"id":"d1","score":-1,"meta":{"cat":"news","tags":["a","b"]}},{"id":"d4","score":-4,"meta":{"cat":"tech","tags":["c","a"]}},{"id":"d5","score":-5,"meta":{"cat":"sport","tags":["a"]}}]}'
  # Every case as a batch, with "include": true.
  jq -cs '{queries: map(. + {include: true})}' "$CASE_QUERIES" >"$T/batch.json"
  run bash -c "curl -s --max-time 10 -X POST --data-binary @'$T/batch.json' '$URL/search' | jq -c '.results[]'"
  assert_success
  diff <(echo "$output") <("$VS_BIN/vs-query" --with-meta -i "$CASE_QUERIES" "$IDX")
  diff <(echo "$output" | hit_ids) <(cut -f2 "$CASES")
}

@test "vs-serve: a bad filter or include is a 400 naming the problem, and the server keeps serving" {
  start_server "$IDX3"
  check_400() {
    run post "$1"
    assert_line --index 1 400
    assert_equal "$(echo "${lines[0]}" | jq -r .error)" "$2"
  }
  check_400 '{"vector":[0,0,0],"filter":{"colour":"red"}}' "filter: field 'colour' is not indexed (indexed: $INDEXED)"
  check_400 '{"vector":[0,0,0],"filter":{"cat":5}}' "filter: field 'cat' holds strings, not numbers"
  check_400 '{"vector":[0,0,0],"filter":{"cat":{"lt":5}}}' "filter: field 'cat' holds strings, so a range cannot apply"
  check_400 '{"vector":[0,0,0],"filter":{"cat":{"like":"n%"}}}' "filter: 'cat': unknown operator 'like' (expected eq, in, gt, gte, lt or lte)"
  check_400 '{"vector":[0,0,0],"filter":{"cat":{"in":[]}}}' "filter: 'cat': 'in' has an empty array"
  check_400 '{"vector":[0,0,0],"filter":{"active":true}}' "filter: 'active': values must be strings or numbers"
  check_400 '{"vector":[0,0,0],"filter":["cat"]}' "filter: must be a JSON object"
  check_400 '{"vector":[0,0,0],"include":"cat"}' "'include' must be true, false or an array of field names"
  check_400 '{"queries":[{"vector":[0,0,0]},{"vector":[0,0,0],"filters":{"year":"x"}}]}' \
    "queries[1]: filter: field 'year' holds numbers, not strings"
  run post '{"vector":[0,0,0],"filter":{"cat":'
  assert_line --index 1 400
  echo "${lines[0]}" | jq -e '.error | startswith("invalid JSON")'
  # Still serving, and still filtering.
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200 ]
  run post '{"id":"q","vector":[0,0,0],"filter":{"cat":"news"}}'
  assert_line --index 1 200
  assert_line --index 0 '{"id":"q","hits":[{"id":"d1","score":-1},{"id":"d3","score":-3},{"id":"d6","score":-6}]}'
  run curl -s "$URL/metrics"
  assert_line 'vs_serve_requests_total{code="400"} 10'
}

@test "vs-query through an http:// shard forwards filter and include, and gives the local answers" {
  start_server "$IDX3"
  local filter='{"cat":{"in":["news","tech"]}}'
  # The run's filter and --with-meta over every case.
  run diff <("$VS_BIN/vs-query" --filter "$filter" --with-meta -i "$CASE_QUERIES" "$URL") \
    <("$VS_BIN/vs-query" --filter "$filter" --with-meta -i "$CASE_QUERIES" "$IDX")
  assert_success
  # Per-query filters and includes, with small batches.
  jq -c 'if (.id | ltrimstr("c") | tonumber) % 2 == 0 then . + {include: ["year", "tags"]} else . end' \
    "$CASE_QUERIES" >"$T/q.jsonl"
  run diff <("$VS_BIN/vs-query" --batch 4 -i "$T/q.jsonl" "$URL") <("$VS_BIN/vs-query" -i "$T/q.jsonl" "$IDX")
  assert_success
  # Mixed with a local shard: the http:// shard serves idx3, so every hit is found twice and kept once.
  run diff <("$VS_BIN/vs-query" --with-meta -i "$T/q.jsonl" "$URL" "$IDX") \
    <("$VS_BIN/vs-query" --with-meta -i "$T/q.jsonl" "$IDX")
  assert_success
  # A filter the server rejects fails the run, naming it.
  run "$VS_BIN/vs-query" --filter '{"colour":"red"}' "$URL" <<<"$(origin_query)"
  assert_failure
  assert_output --partial "filter: field 'colour' is not indexed"
}

@test "metadata written with spaces or trailing zeros comes back from an http:// shard as written" {
  printf '%s\n' '{"id":"m1","vec":[1,0],"price":1.50,"tags":["a", "b"],"when":{"y": 2024}}' \
    '{"id":"m2","vec":[2,0],"price":2,"tags":["c"]}' >"$T/m.jsonl"
  "$VS_BIN/vs-ingest" --metric l2 "$T/m.jsonl" | "$VS_BIN/vs-build" -q -o "$T/m"
  # Locally: as written.
  run "$VS_BIN/vs-query" -k 1 --with-meta --vector 0,0 "$T/m"
  assert_output '{"id":"vector","hits":[{"id":"m1","score":-1,"meta":{"price":1.50,"tags":["a", "b"],"when":{"y": 2024}}}]}'
  # An include list copies each value's text as written too.
  run "$VS_BIN/vs-query" -k 1 "$T/m" <<<'{"id":"q","vector":[0,0],"include":["tags","price"]}'
  assert_output '{"id":"q","hits":[{"id":"m1","score":-1,"meta":{"price":1.50,"tags":["a", "b"]}}]}'
  start_server "$T/m"
  # vs-serve itself answers the same bytes...
  run post '{"id":"vector","vector":[0,0],"k":1,"include":true}'
  assert_line --index 0 '{"id":"vector","hits":[{"id":"m1","score":-1,"meta":{"price":1.50,"tags":["a", "b"],"when":{"y": 2024}}}]}'
  # ...and vs-query through it must too.
  run "$VS_BIN/vs-query" --with-meta "$URL" <<<'{"id":"vector","vector":[0,0],"k":1}'
  assert_success
  assert_output '{"id":"vector","hits":[{"id":"m1","score":-1,"meta":{"price":1.50,"tags":["a", "b"],"when":{"y": 2024}}}]}'
}

@test "vs-query through an ssh:// shard forwards filter and include, and gives the local answers" {
  # A stand-in for ssh: drops the host and runs the remote command here.
  printf '#!/bin/sh\nshift\nexec "$@"\n' >"$T/ssh"
  chmod +x "$T/ssh"
  jq -c 'if (.id | ltrimstr("c") | tonumber) % 2 == 0 then . + {include: ["tags", "price"]} else . end' \
    "$CASE_QUERIES" >"$T/q.jsonl"
  run diff <(VS_SSH="$T/ssh" VS_REMOTE_QUERY="$VS_BIN/vs-query" "$VS_BIN/vs-query" --filter '{"not":{"cat":"sport"}}' \
    -i "$T/q.jsonl" "ssh://localhost$IDX3") \
    <("$VS_BIN/vs-query" --filter '{"not":{"cat":"sport"}}' -i "$T/q.jsonl" "$IDX")
  assert_success
}

@test "\"include\" with a list keeps the named fields of a document that also holds an integer beyond 64 bits" {
  # vs-ingest keeps such integers as written (valid JSON that does not fit a
  # 64-bit integer), and --with-meta returns them.
  printf '%s\n' '{"id":"b1","vec":[1,0],"big":123456789012345678901234567890,"cat":"x"}' \
    '{"id":"b2","vec":[2,0],"big":5,"cat":"y"}' >"$T/b.jsonl"
  "$VS_BIN/vs-ingest" --metric l2 "$T/b.jsonl" | "$VS_BIN/vs-build" -q -o "$T/b"
  run "$VS_BIN/vs-query" -k 1 --with-meta --vector 0,0 "$T/b"
  assert_output '{"id":"vector","hits":[{"id":"b1","score":-1,"meta":{"big":123456789012345678901234567890,"cat":"x"}}]}'
  run "$VS_BIN/vs-query" "$T/b" <<<'{"id":"q","vector":[0,0],"include":["cat"]}'
  assert_success
  assert_output '{"id":"q","hits":[{"id":"b1","score":-1,"meta":{"cat":"x"}},{"id":"b2","score":-2,"meta":{"cat":"y"}}]}'
}

@test "an integer beyond 64 bits in metadata does not fail an http:// shard's answer" {
  printf '%s\n' '{"id":"b1","vec":[1,0],"big":123456789012345678901234567890,"cat":"x"}' \
    '{"id":"b2","vec":[2,0],"big":5,"cat":"y"}' >"$T/b.jsonl"
  "$VS_BIN/vs-ingest" --metric l2 "$T/b.jsonl" | "$VS_BIN/vs-build" -q -o "$T/b"
  start_server "$T/b"
  run "$VS_BIN/vs-query" --with-meta "$URL" <<<'{"id":"q","vector":[0,0]}'
  assert_success
  assert_output '{"id":"q","hits":[{"id":"b1","score":-1,"meta":{"big":123456789012345678901234567890,"cat":"x"}},{"id":"b2","score":-2,"meta":{"big":5,"cat":"y"}}]}'
}
