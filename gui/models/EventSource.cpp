#include "gui/models/EventSource.h"

#include <exception>

#include "gui/models/TraceDb.h"
#include "storage/EventLogReader.h"

namespace ckrr::gui {

EventSource::EventSource(std::filesystem::path trace_dir, const TraceDb* db)
    : dir_(std::move(trace_dir)), db_(db) {}

EventSource::~EventSource() = default;

std::optional<Event> EventSource::load(uint64_t seq, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<Event> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (!db_) return fail("no index");
  auto row = db_->event(seq);
  if (!row) return fail("event #" + std::to_string(seq) + " is not in the index");
  const auto log = dir_ / "events.log";
  if (!std::filesystem::exists(log)) return fail(log.string() + ": no such file");
  try {
    if (!reader_) reader_ = std::make_unique<EventLogReader>(log);
    reader_->seek(row->chunk_offset, row->chunk_index);
    Event ev;
    if (!reader_->next(ev))
      return fail(log.string() + ": ends before event #" + std::to_string(seq));
    if (ev.seq != seq)
      return fail(log.string() + ": index points at event #" + std::to_string(ev.seq) + " for #" +
                  std::to_string(seq));
    return ev;
  } catch (const std::exception& e) {
    reader_.reset();  // reopen next time: the file may have been a partial write
    return fail(e.what());
  }
}

}  // namespace ckrr::gui
