#pragma once
// Publishing a file so that readers see either nothing or the whole, synced content:
// write to "<name>.tmp-<pid>", fsync, rename over the name, fsync the directory.
#include <cstdint>
#include <filesystem>
#include <span>

namespace ckrr {

// Throws Error naming the file on failure (the temporary is removed). mode: e.g. 0600.
void write_file_atomically(const std::filesystem::path& path, std::span<const uint8_t> data,
                           unsigned mode = 0600);
// fsync of a directory, so a rename or create in it is durable. Throws Error.
void fsync_directory(const std::filesystem::path& dir);

}  // namespace ckrr
