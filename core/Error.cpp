#include "core/Error.h"

#include <cstring>

namespace ckrr {

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

}  // namespace ckrr
