// Errors a user can act on. Error: a runtime failure (bad file, bad data) -> exit 1 in the CLI.
// UsageError: a bad flag or argument -> exit 2. The message is one line naming the file or flag.
#pragma once
#include <stdexcept>
#include <string>

namespace ulr {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct UsageError : Error {
  using Error::Error;
};

// Internal invariant check (never for user input): throws with file and line.
#define ULR_CHECK(cond, msg)                                                                    \
  do {                                                                                          \
    if (!(cond))                                                                                \
      throw ::ulr::Error(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + (msg)); \
  } while (0)

}  // namespace ulr
