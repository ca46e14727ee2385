#pragma once
// Finds the code bytes around an instruction pointer of a recorded process. The log does not
// hold code; it comes from the copies of executed/mapped files in the trace (mapped_files),
// placed where they were loaded:
//  - the executable of the latest exec: ELF PT_LOAD segments, at the ELF's own addresses
//    (ET_EXEC) or at 0x555555554000 (ET_DYN: the recorder disables ASLR);
//  - files mapped with PROT_EXEC by an mmap event that carries the file's path (kPath blob).
// When neither covers the address, `why` explains it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ckrr::gui {

class TraceDb;
class EventSource;

struct CodeWindow {
  uint64_t base = 0;           // address of bytes[0]
  std::vector<uint8_t> bytes;  // up to some hundreds of bytes around the ip
  std::string file;            // path in the recorded world
};

class CodeLocator {
 public:
  static constexpr uint64_t kPieBase = 0x555555554000;  // x86-64 ELF_ET_DYN_BASE without ASLR

  CodeLocator(const TraceDb* db, EventSource* events);
  // Code around ip as of event seq (mappings made up to seq).
  std::optional<CodeWindow> locate(uint64_t ip, uint64_t seq, std::string* why);

 private:
  std::optional<CodeWindow> fromExecutable(uint64_t ip, uint64_t seq, std::string* why);
  std::optional<CodeWindow> fromMmaps(uint64_t ip, uint64_t seq);
  std::optional<std::string> storedCopy(const std::string& path) const;
  const TraceDb* db_;
  EventSource* events_;
};

// Code around ip from the executable segment of an ELF file loaded with load_bias added to its
// link addresses. Exposed for tests.
std::optional<CodeWindow> readElfCode(const std::string& file, uint64_t load_bias, uint64_t ip,
                                      std::string* why);

}  // namespace ckrr::gui
