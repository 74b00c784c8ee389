#include <iostream>
#include <string>
#include <vector>

#include "adapter/cli/commands.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string> args(argv + 1, argv + argc);
  return adapter::cli::run(args, {std::cout, std::cerr});
}
