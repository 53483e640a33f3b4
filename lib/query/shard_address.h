// Shard addresses as vs-query takes them, and the cluster file that lists them.
//
// An address is a local path (an index directory or a .vsi file), an
// http:// or https:// URL of a vs-serve, or ssh://[user@]host/path (a path on
// that host, searched by `vs-query --stdio` run there). A cluster file holds
// one shard per line, the addresses of that shard's replicas separated by
// whitespace; '#' starts a comment and blank lines are ignored.
//
// Pure functions over values; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vs {

enum class AddressKind { kLocal, kHttp, kSsh };

AddressKind address_kind(std::string_view address);

// One shard: its replicas' addresses, tried in order.
struct ShardReplicas {
  std::vector<std::string> addresses;
};

// Parses cluster file text. BadData "SOURCE:LINE: reason" for a line mixing
// local and remote addresses (a local path has no replica to fail over to) or
// an ssh:// address without a path; Usage when no shard is listed.
Expected<std::vector<ShardReplicas>> parse_cluster(std::string_view text, std::string_view source);

// Reads and parses a cluster file; IoError naming it when unreadable.
Expected<std::vector<ShardReplicas>> load_cluster_file(const std::string& path);

// "ssh://[user@]host/path" → destination "[user@]host" and path "/path".
struct SshAddress {
  std::string destination;
  std::string path;
};
Expected<SshAddress> parse_ssh_address(std::string_view address);

}  // namespace vs

namespace vs {

// The shards of a run split by where they live: local paths (searched in
// process through a ShardSet) and remote shards with their replicas.
struct ShardPlan {
  std::vector<std::string> local;
  std::vector<ShardReplicas> remote;
};

// Splits `shards` (command-line addresses, one replica each, plus a cluster
// file's lines) by kind. Usage error for a malformed ssh:// address.
Expected<ShardPlan> plan_shards(const std::vector<ShardReplicas>& shards);

// Splits a VS_SSH value into words ("ssh -J jump" → {"ssh", "-J", "jump"});
// {"ssh"} when empty. No quoting: words are separated by whitespace.
std::vector<std::string> split_command(std::string_view text);

}  // namespace vs
