#pragma once
// Full event payloads (arguments, memory the kernel wrote, blobs) from TRACE/events.log, located
// through the index row's chunk position. Used on selection only, never while painting.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "storage/Event.h"

namespace ckrr {
class EventLogReader;
}

namespace ckrr::gui {

class TraceDb;

class EventSource {
 public:
  EventSource(std::filesystem::path trace_dir, const TraceDb* db);
  ~EventSource();

  // The event, or nullopt with *error saying why (no events.log, corrupt chunk...).
  std::optional<Event> load(uint64_t seq, std::string* error);
  const std::filesystem::path& traceDir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  const TraceDb* db_;
  std::unique_ptr<EventLogReader> reader_;  // opened on first use, kept for the next lookups
};

}  // namespace ckrr::gui
