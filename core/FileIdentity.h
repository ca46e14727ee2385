#pragma once
// A file's identity as stat sees it (device, inode, size, modification and change times): two
// equal identities mean the content was not changed in between, without reading it.
#include <string>

namespace ckrr {

// "" when the file cannot be stat'ed.
std::string file_identity(const std::string& path);

}  // namespace ckrr
