#pragma once
// The ckrr gui main window: overview + timeline in the centre, dockable panes for the event
// list (search/filter), details, disassembly, seek, threads and bookmarks.
#include <QMainWindow>
#include <filesystem>
#include <memory>
#include <optional>

#include "gui/models/TimelineModel.h"

class QAction;
class QMenu;
class QLineEdit;
class QComboBox;
class QCheckBox;
class QLabel;
class QTableView;
class QTreeView;

namespace ckrr::gui {

class TraceDb;
class EventSource;
class CodeLocator;
class EventTableModel;
class ThreadModel;
class BookmarkModel;
class SeekRunner;
class TimelineView;
class OverviewStrip;
class EventDetailsPane;
class DisassemblyPane;
class SeekPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Loads a trace directory; throws ckrr::Error / TraceError with a message for the user.
  void openTrace(const std::filesystem::path& dir);

  TimelineView* timeline() const { return timeline_; }
  OverviewStrip* overview() const { return overview_; }
  EventDetailsPane* details() const { return details_; }
  DisassemblyPane* disassembly() const { return disasm_; }
  SeekPanel* seekPanel() const { return seek_panel_; }
  SeekRunner* seekRunner() const { return seek_; }
  EventTableModel* eventTable() const { return table_model_; }
  BookmarkModel* bookmarkModel() const { return bookmark_model_; }
  const TimelineModel& timelineModel() const { return model_; }
  QAction* debugAction() const { return debug_action_; }
  double lastLoadSeconds() const { return load_seconds_; }

 public slots:
  void selectEvent(quint64 seq);
  void seekTo(quint64 seq);
  void debugHere();
  void addBookmark();

 private:
  void buildActions();
  void buildDocks();
  void applyFilter();
  void updateStatus();
  void showSeekResult(const struct SeekResult& r);
  QString hoverText(uint64_t seq) const;

  std::filesystem::path trace_;
  std::unique_ptr<TraceDb> db_;
  std::unique_ptr<EventSource> events_;
  std::unique_ptr<CodeLocator> locator_;
  TimelineModel model_;
  double load_seconds_ = 0;

  TimelineView* timeline_;
  OverviewStrip* overview_;
  EventDetailsPane* details_;
  DisassemblyPane* disasm_;
  SeekPanel* seek_panel_;
  SeekRunner* seek_;
  EventTableModel* table_model_;
  ThreadModel* thread_model_;
  BookmarkModel* bookmark_model_;
  QTableView* table_view_ = nullptr;
  QTreeView* thread_view_ = nullptr;
  QTableView* bookmark_view_ = nullptr;
  QLineEdit* filter_names_ = nullptr;
  QComboBox* filter_thread_ = nullptr;
  QCheckBox* filter_errors_ = nullptr;
  QCheckBox* filter_range_ = nullptr;
  QLabel* match_count_ = nullptr;
  QLabel* status_view_ = nullptr;
  QMenu* view_menu_ = nullptr;
  QAction* back_action_ = nullptr;
  QAction* seek_action_ = nullptr;
  QAction* debug_action_ = nullptr;
  QAction* bookmark_action_ = nullptr;
  bool syncing_selection_ = false;
};

}  // namespace ckrr::gui
