#include "util/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace vs {
namespace {

Status errno_status(const std::string& what, const std::string& path) {
  return Status::IoError("cannot " + what + " '" + path + "': " + std::strerror(errno));
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status append(std::string_view bytes) override {
    const char* data = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, data, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_status("write", path_);
      data += n;
      left -= static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  Status sync() override {
    if (::fsync(fd_) != 0) return errno_status("fsync", path_);
    return Status::Ok();
  }

  Status close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return errno_status("close", path_);
    return Status::Ok();
  }

  const std::string& path() const override { return path_; }

 private:
  int fd_;
  std::string path_;
};

class PosixEnv final : public Env {
 public:
  Expected<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno_status("create", path);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  Status rename_file(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return errno_status("rename to '" + to + "'", from);
    return Status::Ok();
  }

  Status remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_status("remove", path);
    return Status::Ok();
  }

  Status sync_dir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_status("open directory", dir);
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    errno = saved;
    if (rc != 0) return errno_status("fsync directory", dir);
    return Status::Ok();
  }

  Status create_dir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) {
      struct stat st {};
      if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Ok();
      return Status::IoError("cannot create directory '" + dir + "': a file of that name exists");
    }
    return errno_status("create directory", dir);
  }

  Expected<std::vector<std::string>> list_dir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return errno_status("list directory", dir);
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(d)) {
      std::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
  }

  bool file_exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }
};

constexpr std::string_view kTempMarker = ".tmp-";

}  // namespace

Env& Env::posix() {
  static PosixEnv env;
  return env;
}

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool is_temporary_name(std::string_view name) { return name.find(kTempMarker) != std::string_view::npos; }

Status write_file_atomically(Env& env, const std::string& path,
                             const std::function<Status(WritableFile&)>& fill) {
  static std::atomic<unsigned> counter{0};
  std::string temp = path + std::string(kTempMarker) + std::to_string(::getpid()) + "-" +
                     std::to_string(counter.fetch_add(1));
  auto file = env.new_writable_file(temp);
  if (!file.ok()) return file.status();
  Status status = fill(**file);
  if (status.ok()) status = (*file)->sync();
  Status closed = (*file)->close();
  if (status.ok()) status = closed;
  if (status.ok()) status = env.rename_file(temp, path);
  if (!status.ok()) {
    (void)env.remove_file(temp);
    return status;
  }
  return env.sync_dir(dir_of(path));
}

Expected<size_t> sweep_temporaries(Env& env, const std::string& dir) {
  auto names = env.list_dir(dir);
  if (!names.ok()) return names.status();
  size_t removed = 0;
  for (const std::string& name : *names) {
    if (!is_temporary_name(name)) continue;
    VS_RETURN_IF_ERROR(env.remove_file(dir + "/" + name));
    ++removed;
  }
  return removed;
}

}  // namespace vs
