#pragma once
// Virtual ids as a service for plugins (include/ckrr/plugin.h, id_*): a plugin registers a kind
// of id by name and maps virtual (what the program saw when recorded) <-> real (what the kernel
// knows now) both ways. The table is a plugin only to be saved with every checkpoint and
// restored with it. Kinds 0 and 1 are the process's pid and tid: read-only views of the
// restart's VirtualIds (recorder/VirtualIds.h), set while restart hooks run; identity otherwise.
#include <map>
#include <string>
#include <vector>

#include "plugins/Plugin.h"

namespace ckrr {

class VirtualIdTable : public Plugin {
 public:
  static constexpr int kPid = 0, kTid = 1;
  const char* name() const override { return "virtual-ids"; }

  int kind(const std::string& name);  // registers or finds; >= 2
  bool map(int kind, int64_t virt, int64_t real);
  int64_t to_real(int kind, int64_t virt) const;
  int64_t to_virtual(int kind, int64_t real) const;
  // The pid/tid kinds answer from this while a restart hook runs (null: identity).
  void set_process(const RestartContext* r) { process_ = r; }

  void save_state(std::vector<uint8_t>& out) const override;
  void restore_state(const std::vector<uint8_t>& in) override;

 private:
  struct Kind {
    std::string name;
    std::map<int64_t, int64_t> to_real, to_virtual;
  };
  std::vector<Kind> kinds_;  // kind k >= 2 is kinds_[k - 2]
  const RestartContext* process_ = nullptr;
};

}  // namespace ckrr
