#pragma once
// The ckrr subcommands. Each takes its arguments (after the subcommand name) and returns the
// process exit code.
#include <string>
#include <vector>

namespace ckrr {

int cmd_record(const std::vector<std::string>& args);
int cmd_replay(const std::vector<std::string>& args);
int cmd_debug(const std::vector<std::string>& args);
int cmd_info(const std::vector<std::string>& args);
int cmd_events(const std::vector<std::string>& args);
int cmd_checkpoint(const std::vector<std::string>& args);
int cmd_checkpoints(const std::vector<std::string>& args);
int cmd_restart(const std::vector<std::string>& args);
int cmd_ls(const std::vector<std::string>& args);
int cmd_rm(const std::vector<std::string>& args);
int cmd_pack(const std::vector<std::string>& args);

}  // namespace ckrr
