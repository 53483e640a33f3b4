// Env: the seam between libvs and the file system for everything it writes.
//
// All file creation, writing, fsync, rename and removal goes through an Env so
// tests can substitute one that injects short writes, ENOSPC, fsync failures
// or a crash point. Env::posix() is the real one (a process-wide singleton
// with no state). Errors name the path and the errno text.
//
// write_file_atomically() is the only way libvs replaces a file: it writes a
// temporary "<path>.tmp-<pid>-<n>" in the same directory, fsyncs it, renames it
// over `path` and fsyncs the directory, so a crash at any moment leaves either
// the old or the new file, never a mix. sweep_temporaries() removes leftovers
// of a crashed run.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vs {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status append(std::string_view bytes) = 0;
  virtual Status sync() = 0;
  virtual Status close() = 0;
  virtual const std::string& path() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  virtual Expected<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) = 0;
  virtual Status rename_file(const std::string& from, const std::string& to) = 0;
  virtual Status remove_file(const std::string& path) = 0;
  virtual Status sync_dir(const std::string& dir) = 0;
  virtual Status create_dir(const std::string& dir) = 0;  // ok if it exists
  virtual Expected<std::vector<std::string>> list_dir(const std::string& dir) = 0;  // names only
  virtual bool file_exists(const std::string& path) = 0;

  static Env& posix();
};

// The directory part of `path` ("." if none).
std::string dir_of(const std::string& path);

// True for names that write_file_atomically() uses for its temporaries.
bool is_temporary_name(std::string_view name);

// Writes `path` atomically: `fill` appends the contents to a temporary file,
// which is then fsynced, closed and renamed over `path`; the directory is
// fsynced last. On any error the temporary is removed and `path` is untouched.
Status write_file_atomically(Env& env, const std::string& path,
                             const std::function<Status(WritableFile&)>& fill);

// Removes files in `dir` whose names are_temporary_name(); returns how many.
Expected<size_t> sweep_temporaries(Env& env, const std::string& dir);

}  // namespace vs
