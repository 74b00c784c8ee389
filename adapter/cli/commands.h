// The fhir-adapter command line: one function per command, each taking its arguments and
// the output streams, so tests run them without a process. JSON goes to `out`, words for
// a person to `err`. Exit codes: 0 ok, 1 invalid input, 2 usage or I/O error.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace adapter::cli {

enum ExitCode : int { kOk = 0, kInvalidInput = 1, kUsageOrIo = 2 };

struct Streams {
  std::ostream& out;
  std::ostream& err;
};

// Runs `fhir-adapter ARGS...` (args exclude the program name). Never throws.
int run(const std::vector<std::string>& args, Streams io);

}  // namespace adapter::cli
