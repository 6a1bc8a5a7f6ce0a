// Files written so that no reader ever sees half of one: temp file in the same folder, fsync,
// rename over the target. A crash leaves either the old file or the new one.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace ulr {

// Writes `size` bytes to `path` atomically, through the temp file PATH.tmp.PID (PID: this
// process). Throws Error("PATH: ...") on failure.
void write_file_atomic(const std::string& path, const void* data, size_t size);
// Removes the temp files write_file_atomic(path) left when its process was killed mid-write:
// PATH.tmp.PID where PID is all digits and names no running process (a running one may be
// writing). Returns how many it removed. Throws Error naming the file it cannot remove.
int remove_stale_temp_files(const std::string& path);
// Size in bytes of the regular file `path`, examined before anything opens it (opening a FIFO
// would wait for a writer forever). Throws Error("PATH: a FIFO, not WHAT") for a folder, FIFO,
// socket or device, and Error("PATH: cannot open: ...") when it cannot be examined.
int64_t regular_file_size(const std::string& path, const char* what = "a regular file");
// Reads a whole file; a named pipe is read to its end (`--config <(...)` is one). Throws
// Error("PATH: cannot open: ...") when it cannot, Error("PATH: a folder, not a file") for a folder.
std::vector<unsigned char> read_file(const std::string& path);
// Creates a folder and its parents (like mkdir -p). Throws Error naming the path on failure.
void make_dirs(const std::string& path);
bool file_exists(const std::string& path);
// Whether `path` is a folder (following links).
bool is_folder(const std::string& path);
// The names of a folder's entries, sorted, without "." and "..". Throws Error("PATH: cannot
// list folder: ...") when it cannot be read.
std::vector<std::string> list_folder(const std::string& path);

// An exclusive lock on the file `path` (created if absent) for the object's lifetime, so that
// two processes never work in one folder at once. The system drops it when the process ends,
// kill -9 included. Throws Error("<what>: ...") when another process holds it.
class FileLock {
 public:
  FileLock(const std::string& path, const std::string& what);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace ulr
