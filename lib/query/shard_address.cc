#include "query/shard_address.h"

#include <fstream>
#include <sstream>

namespace vs {

AddressKind address_kind(std::string_view address) {
  if (address.starts_with("http://") || address.starts_with("https://")) return AddressKind::kHttp;
  if (address.starts_with("ssh://")) return AddressKind::kSsh;
  return AddressKind::kLocal;
}

Expected<SshAddress> parse_ssh_address(std::string_view address) {
  std::string_view rest = address.substr(std::string_view("ssh://").size());
  size_t slash = rest.find('/');
  if (!address.starts_with("ssh://") || slash == 0 || slash == std::string_view::npos || slash + 1 == rest.size()) {
    std::string message = "'";  // built in steps: GCC 12 warns (-Wrestrict) on "'" + std::string(...)
    message.append(address).append("' is not ssh://[user@]host/path");
    return Status::Usage(std::move(message));
  }
  return SshAddress{std::string(rest.substr(0, slash)), std::string(rest.substr(slash))};
}

Expected<std::vector<ShardReplicas>> parse_cluster(std::string_view text, std::string_view source) {
  std::vector<ShardReplicas> shards;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    line = line.substr(0, line.find('#'));
    std::istringstream words{std::string(line)};
    ShardReplicas shard;
    for (std::string word; words >> word;) shard.addresses.push_back(std::move(word));
    if (shard.addresses.empty()) continue;
    const std::string where = std::string(source) + ":" + std::to_string(line_number) + ": ";
    for (const std::string& address : shard.addresses) {
      AddressKind kind = address_kind(address);
      if (kind == AddressKind::kLocal && shard.addresses.size() > 1) {
        return Status::BadData(where + "local shard '" + address + "' cannot have replicas");
      }
      if (kind == AddressKind::kSsh) {
        auto ssh = parse_ssh_address(address);
        if (!ssh.ok()) return Status::BadData(where + ssh.status().message());
      }
    }
    shards.push_back(std::move(shard));
  }
  if (shards.empty()) return Status::Usage(std::string(source) + ": no shards listed");
  return shards;
}

Expected<std::vector<ShardReplicas>> load_cluster_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open cluster file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read cluster file '" + path + "'");
  return parse_cluster(text.str(), path);
}

}  // namespace vs

namespace vs {

Expected<ShardPlan> plan_shards(const std::vector<ShardReplicas>& shards) {
  ShardPlan plan;
  for (const ShardReplicas& shard : shards) {
    if (shard.addresses.size() == 1 && address_kind(shard.addresses.front()) == AddressKind::kLocal) {
      plan.local.push_back(shard.addresses.front());
      continue;
    }
    for (const std::string& address : shard.addresses) {
      if (address_kind(address) == AddressKind::kLocal) {
        return Status::Usage("local shard '" + address + "' cannot have replicas");
      }
      if (address_kind(address) == AddressKind::kSsh) {
        auto ssh = parse_ssh_address(address);
        if (!ssh.ok()) return ssh.status();
      }
    }
    plan.remote.push_back(shard);
  }
  return plan;
}

std::vector<std::string> split_command(std::string_view text) {
  std::istringstream words{std::string(text)};
  std::vector<std::string> command;
  for (std::string word; words >> word;) command.push_back(std::move(word));
  if (command.empty()) command.push_back("ssh");
  return command;
}

}  // namespace vs
