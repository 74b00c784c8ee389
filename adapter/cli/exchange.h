// The exchange commands: send (accept and enqueue), deliver (run the delivery worker) and
// outbox (inspect, retry dead letters). See docs/configuration.md.
#pragma once

#include <string>
#include <vector>

#include "adapter/cli/commands.h"

namespace adapter::cli {

int run_send(const std::vector<std::string>& args, Streams io);
int run_deliver(const std::vector<std::string>& args, Streams io);
int run_outbox(const std::vector<std::string>& args, Streams io);
int run_consent(const std::vector<std::string>& args, Streams io);

}  // namespace adapter::cli
