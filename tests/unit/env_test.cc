// Atomic replacement through Env, and what happens when a write fails.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "util/env.h"

namespace vs {
namespace {

// An Env that fails the n-th append, as a full disk would.
class FailingEnv final : public Env {
 public:
  explicit FailingEnv(int fail_after) : fail_after_(fail_after) {}
  Expected<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override {
    auto file = Env::posix().new_writable_file(path);
    if (!file.ok()) return file.status();
    return std::unique_ptr<WritableFile>(new Failing(std::move(file).value(), fail_after_));
  }
  Status rename_file(const std::string& a, const std::string& b) override { return Env::posix().rename_file(a, b); }
  Status remove_file(const std::string& p) override { return Env::posix().remove_file(p); }
  Status sync_dir(const std::string& d) override { return Env::posix().sync_dir(d); }
  Status create_dir(const std::string& d) override { return Env::posix().create_dir(d); }
  Expected<std::vector<std::string>> list_dir(const std::string& d) override { return Env::posix().list_dir(d); }
  bool file_exists(const std::string& p) override { return Env::posix().file_exists(p); }

 private:
  class Failing final : public WritableFile {
   public:
    Failing(std::unique_ptr<WritableFile> inner, int fail_after) : inner_(std::move(inner)), left_(fail_after) {}
    Status append(std::string_view bytes) override {
      if (left_-- <= 0) return Status::IoError("cannot write '" + path() + "': No space left on device");
      return inner_->append(bytes);
    }
    Status sync() override { return inner_->sync(); }
    Status close() override { return inner_->close(); }
    const std::string& path() const override { return inner_->path(); }

   private:
    std::unique_ptr<WritableFile> inner_;
    int left_;
  };
  int fail_after_;
};

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vs-env-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  std::string dir_;
};

TEST_F(EnvTest, AtomicWriteReplacesContents) {
  const std::string path = dir_ + "/f";
  ASSERT_TRUE(write_file_atomically(Env::posix(), path, [](WritableFile& f) { return f.append("old"); }).ok());
  ASSERT_TRUE(write_file_atomically(Env::posix(), path, [](WritableFile& f) { return f.append("new"); }).ok());
  EXPECT_EQ(read("f"), "new");
  EXPECT_EQ(Env::posix().list_dir(dir_)->size(), 1u);
}

TEST_F(EnvTest, FailedWriteLeavesOldFileAndNoTemporary) {
  const std::string path = dir_ + "/f";
  ASSERT_TRUE(write_file_atomically(Env::posix(), path, [](WritableFile& f) { return f.append("old"); }).ok());
  FailingEnv full(1);
  Status s = write_file_atomically(full, path, [](WritableFile& f) {
    VS_RETURN_IF_ERROR(f.append("partial"));
    return f.append("more");
  });
  EXPECT_EQ(s.code(), Code::kIoError);
  EXPECT_NE(s.message().find("No space left"), std::string::npos);
  EXPECT_EQ(read("f"), "old");
  EXPECT_EQ(Env::posix().list_dir(dir_)->size(), 1u);
}

TEST_F(EnvTest, SweepRemovesOnlyTemporaries) {
  std::ofstream(dir_ + "/keep.vsi") << "x";
  std::ofstream(dir_ + "/shard-0000-g000001.vsi.tmp-123-0") << "x";
  auto removed = sweep_temporaries(Env::posix(), dir_);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  auto names = *Env::posix().list_dir(dir_);
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0], "keep.vsi");
}

TEST(DirOf, Cases) {
  EXPECT_EQ(dir_of("a/b/c"), "a/b");
  EXPECT_EQ(dir_of("c"), ".");
  EXPECT_EQ(dir_of("/c"), "/");
}

}  // namespace
}  // namespace vs
