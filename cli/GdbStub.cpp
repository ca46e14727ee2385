#include "cli/GdbStub.h"

#include <iostream>

#include "replayer/ReplayDebugTarget.h"
#include "replayer/gdb/GdbServer.h"

namespace ckrr {

void serve_replay_to_gdb(const ReplayOptions& opt, const std::string& address,
                         const GdbStubOptions& stub,
                         const std::function<void(uint16_t)>& listening) {
  gdb::ListenAddress addr = gdb::parse_listen_address(address);
  ReplayDebugTarget target(opt, stub.pid);
  gdb::GdbServer server(target);
  uint16_t port = server.listen(addr);
  std::cerr << "ckrr: gdb stub listening on " << addr.host << ":" << port << std::endl;
  if (listening) listening(port);
  server.serve(!stub.once);
}

}  // namespace ckrr
