// A small flag parser for the subcommands: `--name value`, `--name=value` and bare `--flag`.
// Every flag a command reads is declared by reading it; finish() rejects whatever was given and
// never read, naming the flag. All errors are UsageError (exit 2) naming the flag.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "data/synthetic.h"

namespace ulr::cli {

struct Size {
  int height = 0, width = 0;
};

class Args {
 public:
  // argv[0] is the subcommand's name; the rest are its arguments. `bare` lists the flags that
  // take no value.
  Args(int argc, char** argv, std::set<std::string> bare = {});

  bool has(const std::string& flag);  // given at all (marks it read)
  std::string str(const std::string& flag, const std::string& fallback);
  std::string required(const std::string& flag);
  long long integer(const std::string& flag, long long fallback, long long lo, long long hi);
  double number(const std::string& flag, double fallback, double lo, double hi);
  // "HxW" (digits only) with 1 <= H, W <= 4096, e.g. --size 64x64.
  Size size(const std::string& flag, const std::string& fallback);
  std::vector<std::string> all(const std::string& flag);  // repeated flags, in order
  const std::vector<std::string>& positional() const { return positional_; }
  bool help() const { return help_; }
  // Throws UsageError for any flag that was given but never read.
  void finish() const;

  const std::string& command() const { return command_; }

 private:
  std::string command_;
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
  std::set<std::string> read_;
  bool help_ = false;
};

// `--threads N` and `--seed K` are common to every command; applies --threads.
void apply_threads(Args& args);

// `--split train|val|test`, for the synthetic views.
Split read_split(Args& args, const std::string& fallback);

// How a command prints its report: text (the default), --markdown or --json. Reads both flags
// (give them to Args as bare flags); UsageError when both are given.
enum class Format { Text, Markdown, Json };
Format read_format(Args& args);

}  // namespace ulr::cli
