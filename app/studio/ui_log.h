// UiLog: the messages the user must see (errors, warnings, notable events), kept for the Log panel and
// shown as toasts. Errors are never only on stderr: an spdlog sink forwards every warning and error
// logged anywhere in the process (engine worker included) into this log. Thread-safe.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ebm::studio {

enum class LogLevel { Info, Warning, Error };

struct LogEntry {
  uint64_t id = 0;  // increasing; toasts remember which ones they showed
  LogLevel level = LogLevel::Info;
  std::string text;
  std::chrono::steady_clock::time_point when;
};

class UiLog {
 public:
  static constexpr size_t kMaxEntries = 500;
  void add(LogLevel level, std::string text);
  void info(std::string t) { add(LogLevel::Info, std::move(t)); }
  void warn(std::string t) { add(LogLevel::Warning, std::move(t)); }
  void error(std::string t) { add(LogLevel::Error, std::move(t)); }
  std::vector<LogEntry> snapshot() const;        // copy, so drawing holds no lock
  std::vector<LogEntry> since(uint64_t id) const;  // entries with id > `id`
  size_t error_count() const;
  void clear();

 private:
  mutable std::mutex mu_;
  std::deque<LogEntry> entries_;
  uint64_t next_id_ = 1;
  size_t errors_ = 0;
};

// spdlog sink that copies warnings and errors into a UiLog (installed on the default logger at start).
class UiLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit UiLogSink(std::shared_ptr<UiLog> log) : log_(std::move(log)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::shared_ptr<UiLog> log_;
};

// Adds a UiLogSink to spdlog's default logger (keeping its stderr sink). Returns a guard that removes
// it again, so a UiLog never outlives its use in the logger.
class ScopedUiLogSink {
 public:
  explicit ScopedUiLogSink(std::shared_ptr<UiLog> log);
  ~ScopedUiLogSink();
  ScopedUiLogSink(const ScopedUiLogSink&) = delete;
  ScopedUiLogSink& operator=(const ScopedUiLogSink&) = delete;

 private:
  std::shared_ptr<spdlog::sinks::sink> sink_;
};

}  // namespace ebm::studio
