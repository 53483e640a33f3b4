#include "query/shard_address.h"

#include <gtest/gtest.h>

namespace vs {
namespace {

TEST(ClusterFile, OneShardPerLineReplicasOnTheSameLine) {
  auto shards = parse_cluster(
      "# three shards\n"
      "http://h1:7700 http://h1b:7700   # replica on h1b\n"
      "\n"
      "\thttps://h2:7700\n"
      "ssh://me@h3/idx/shard-0002.vsi\n",
      "c.txt");
  ASSERT_TRUE(shards.ok()) << shards.status().message();
  ASSERT_EQ(shards->size(), 3u);
  EXPECT_EQ((*shards)[0].addresses, (std::vector<std::string>{"http://h1:7700", "http://h1b:7700"}));
  EXPECT_EQ((*shards)[1].addresses, (std::vector<std::string>{"https://h2:7700"}));
  EXPECT_EQ((*shards)[2].addresses, (std::vector<std::string>{"ssh://me@h3/idx/shard-0002.vsi"}));
}

TEST(ClusterFile, ErrorsNameTheLine) {
  auto mixed = parse_cluster("http://a:1\nidx/a.vsi http://b:1\n", "c.txt");
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().code(), Code::kBadData);
  EXPECT_EQ(mixed.status().message().rfind("c.txt:2: ", 0), 0u) << mixed.status().message();

  auto no_path = parse_cluster("ssh://host\n", "c.txt");
  ASSERT_FALSE(no_path.ok());
  EXPECT_NE(no_path.status().message().find("c.txt:1: "), std::string::npos);

  auto empty = parse_cluster("# nothing\n\n", "c.txt");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), Code::kUsage);
}

TEST(ClusterFile, MissingFileIsAnIoError) {
  auto shards = load_cluster_file("/nonexistent/cluster.txt");
  ASSERT_FALSE(shards.ok());
  EXPECT_EQ(shards.status().code(), Code::kIoError);
}

TEST(ShardAddress, KindsAndSshParts) {
  EXPECT_EQ(address_kind("idx"), AddressKind::kLocal);
  EXPECT_EQ(address_kind("http://h:1"), AddressKind::kHttp);
  EXPECT_EQ(address_kind("https://h:1"), AddressKind::kHttp);
  EXPECT_EQ(address_kind("ssh://h/p"), AddressKind::kSsh);
  auto ssh = parse_ssh_address("ssh://me@host/srv/idx");
  ASSERT_TRUE(ssh.ok());
  EXPECT_EQ(ssh->destination, "me@host");
  EXPECT_EQ(ssh->path, "/srv/idx");
  EXPECT_FALSE(parse_ssh_address("ssh:///p").ok());
  EXPECT_FALSE(parse_ssh_address("ssh://host/").ok());
}

TEST(ShardAddress, PlanSplitsLocalFromRemote) {
  auto plan = plan_shards({{{"idx"}}, {{"http://a:1", "http://b:1"}}, {{"a.vsi"}}});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->local, (std::vector<std::string>{"idx", "a.vsi"}));
  ASSERT_EQ(plan->remote.size(), 1u);
  EXPECT_EQ(plan->remote[0].addresses.size(), 2u);
  EXPECT_EQ(split_command("ssh -J jump  -p 22"), (std::vector<std::string>{"ssh", "-J", "jump", "-p", "22"}));
  EXPECT_EQ(split_command(""), (std::vector<std::string>{"ssh"}));
}

}  // namespace
}  // namespace vs
