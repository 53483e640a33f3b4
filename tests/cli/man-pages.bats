#!/usr/bin/env bats
# Every flag a tool's --help lists appears in its man page, and every page
# renders and follows the man-pages(7) section order.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

tools=(vs-ingest vs-build vs-query vs-merge vs-serve)

@test "every flag in --help is documented in the tool's man page" {
  for tool in "${tools[@]}"; do
    page="$VS_SOURCE/man/$tool.1"
    [ -f "$page" ] || fail "missing man page $page"
    run "$VS_BIN/$tool" --help
    assert_success
    flags=$(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$output" | sort -u)
    [ -n "$flags" ] || fail "$tool --help lists no flags"
    # groff escapes '-' as '\-' in pages; compare with the escapes removed.
    text=$(sed 's/\\-/-/g' "$page")
    for flag in $flags; do
      grep -qF -- "$flag" <<<"$text" || fail "$tool: $flag is in --help but not in $page"
    done
  done
}

@test "--help lists the exit statuses of the tool's man page" {
  for tool in "${tools[@]}"; do
    run "$VS_BIN/$tool" --help
    assert_success
    help=$(grep -o '^Exit status: .*' <<<"$output" | grep -oE '\b[0-9]+ ' | tr -d ' ' | tr '\n' ' ')
    page=$(awk '/^\.SH "?EXIT STATUS/ { on = 1; next } /^\.SH/ { on = 0 } on && /^\.B [0-9]+$/ { print $2 }' \
      "$VS_SOURCE/man/$tool.1" | tr '\n' ' ')
    [ -n "$page" ] || fail "$tool: no exit statuses in its man page"
    assert_equal "$help" "$page"
  done
}

@test "man pages keep the man-pages(7) section order" {
  for tool in "${tools[@]}"; do
    sections=$(grep -E '^\.SH ' "$VS_SOURCE/man/$tool.1" | sed 's/^\.SH //; s/"//g' | tr '\n' ',')
    assert_equal "$sections" "NAME,SYNOPSIS,DESCRIPTION,OPTIONS,EXIT STATUS,ENVIRONMENT,FILES,EXAMPLES,SEE ALSO,"
  done
}

@test "--version prints the tool and the package version" {
  for tool in "${tools[@]}"; do
    run "$VS_BIN/$tool" --version
    assert_success
    assert_output --regexp "^$tool \(vs\) [0-9]+\.[0-9]+\.[0-9]+$"
  done
}
