#include "query/remote_fanout.h"

#include "query/http_shard.h"
#include "query/ssh_shard.h"

namespace vs {

Expected<std::unique_ptr<RemoteFanout>> RemoteFanout::open(const std::vector<ShardReplicas>& shards,
                                                            const RemoteOptions& options, bool tolerate_down) {
  std::unique_ptr<RemoteFanout> fanout(new RemoteFanout());
  auto multi = CurlMulti::create();
  if (!multi.ok()) return multi.status();
  fanout->multi_ = std::move(multi).value();
  Status first_down;  // with tolerate_down: why the first shard that is down could not be reached
  for (const ShardReplicas& replicas : shards) {
    Shard shard;
    for (const std::string& address : replicas.addresses) {
      if (address_kind(address) == AddressKind::kHttp) {
        auto http = HttpShard::create(address, *fanout->multi_, HttpShardOptions{options.timeout_ms, options.token});
        if (!http.ok()) return http.status();
        shard.replicas.push_back(std::move(http).value());
      } else if (address_kind(address) == AddressKind::kSsh) {
        auto ssh = SshShard::create(address, SshShardOptions{options.ssh_command, options.remote_program,
                                                             options.timeout_ms});
        if (!ssh.ok()) return ssh.status();
        shard.replicas.push_back(std::move(ssh).value());
      } else {
        return Status::Usage("'" + address + "' is not a remote shard address");
      }
      shard.connected.push_back(false);
    }
    // The first replica that answers; the error of the last one otherwise.
    Status status;
    for (shard.current = 0; shard.current < shard.replicas.size(); ++shard.current) {
      status = fanout->connect_replica(shard, shard.current);
      if (status.ok() || status.code() == Code::kUsage) break;
    }
    if (!status.ok() && (!tolerate_down || status.code() != Code::kUnavailable)) return status;
    if (!status.ok()) {
      shard.current = 0;
      if (first_down.ok()) first_down = status;
    }
    fanout->shards_.push_back(std::move(shard));
  }
  // Name a shard and the reason: "no remote shard answered" alone leaves the
  // operator guessing which address to look at.
  if (!fanout->have_info_) {
    return Status::Unavailable("no remote shard answered" +
                               (first_down.ok() ? "" : ": " + first_down.message()));
  }
  return fanout;
}

RemoteFanout::~RemoteFanout() = default;

const std::string& RemoteFanout::address(size_t index) const {
  const Shard& shard = shards_[index];
  return shard.replicas[shard.current]->address();
}

Status RemoteFanout::check_agrees(uint32_t dim, Metric metric, const std::string& local_name) const {
  if (info_.dim == dim && info_.metric == metric) return Status::Ok();
  return Status::Usage("shard '" + address(0) + "' has dim " + std::to_string(info_.dim) + " and metric " +
                       std::string(metric_name(info_.metric)) + ", but '" + local_name + "' has dim " +
                       std::to_string(dim) + " and metric " + std::string(metric_name(metric)));
}

Status RemoteFanout::connect_replica(Shard& shard, size_t replica) {
  RemoteShard& remote = *shard.replicas[replica];
  auto info = remote.connect();
  if (!info.ok()) return info.status();
  if (!have_info_) {
    info_ = *info;
    have_info_ = true;
  } else if (info->dim != info_.dim || info->metric != info_.metric) {
    return Status::Usage("shard '" + remote.address() + "' has dim " + std::to_string(info->dim) + " and metric " +
                         std::string(metric_name(info->metric)) + ", but the others have dim " +
                         std::to_string(info_.dim) + " and metric " + std::string(metric_name(info_.metric)));
  }
  shard.connected[replica] = true;
  return Status::Ok();
}

// Moves `shard` to its next replica that connects, counting each one tried;
// false when every replica has been tried for this batch.
bool RemoteFanout::fail_over(Shard& shard, size_t& tried) {
  while (tried < shard.replicas.size()) {
    shard.current = (shard.current + 1) % shard.replicas.size();
    ++tried;
    if (shard.connected[shard.current] || connect_replica(shard, shard.current).ok()) return true;
  }
  return false;
}

bool RemoteFanout::ensure_connected(Shard& shard, const RemoteBatch& batch, RemoteAnswer& answer) {
  if (shard.connected[shard.current]) return true;
  Status status = connect_replica(shard, shard.current);
  if (status.ok()) return true;
  const std::string& address = shard.replicas[shard.current]->address();
  // The failure names the shard in its own field: keep the reason only.
  std::string reason = status.message();
  const std::string prefix = "shard '" + address + "': ";
  if (reason.starts_with(prefix)) reason.erase(0, prefix.size());
  answer.reset(batch.queries.size());
  answer.fail(address, std::move(reason), status.code() == Code::kUnavailable);
  return false;
}

void RemoteFanout::search(const RemoteBatch& batch, std::vector<RemoteAnswer>& answers) {
  answers.resize(shards_.size());
  std::vector<bool> started(shards_.size(), false);
  for (size_t i = 0; i < shards_.size(); ++i) {
    Shard& shard = shards_[i];
    if (!ensure_connected(shard, batch, answers[i])) continue;
    shard.replicas[shard.current]->start(batch);
    started[i] = true;
  }
  for (size_t i = 0; i < shards_.size(); ++i) {
    Shard& shard = shards_[i];
    if (started[i]) shard.replicas[shard.current]->finish(answers[i]);
    // Fail-over is sequential per shard: rare, and it keeps the loop simple.
    size_t tried = 1;
    while (!answers[i].ok && answers[i].retry_elsewhere && shard.replicas.size() > 1) {
      RemoteAnswer failed = std::move(answers[i]);
      if (!fail_over(shard, tried)) {
        answers[i] = std::move(failed);
        break;
      }
      shard.replicas[shard.current]->start(batch);
      shard.replicas[shard.current]->finish(answers[i]);
    }
  }
}

}  // namespace vs
