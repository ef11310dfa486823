#include "app/studio/ui_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ebm::studio {

void UiLog::add(LogLevel level, std::string text) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back({next_id_++, level, std::move(text), std::chrono::steady_clock::now()});
  if (level == LogLevel::Error) ++errors_;
  while (entries_.size() > kMaxEntries) entries_.pop_front();
}

std::vector<LogEntry> UiLog::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {entries_.begin(), entries_.end()};
}

std::vector<LogEntry> UiLog::since(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LogEntry> out;
  for (const auto& e : entries_)
    if (e.id > id) out.push_back(e);
  return out;
}

size_t UiLog::error_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

void UiLog::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  errors_ = 0;
}

void UiLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  if (msg.level < spdlog::level::warn) return;
  const LogLevel lv = msg.level >= spdlog::level::err ? LogLevel::Error : LogLevel::Warning;
  log_->add(lv, std::string(msg.payload.data(), msg.payload.size()));
}

ScopedUiLogSink::ScopedUiLogSink(std::shared_ptr<UiLog> log) : sink_(std::make_shared<UiLogSink>(std::move(log))) {
  spdlog::default_logger()->sinks().push_back(sink_);
}

ScopedUiLogSink::~ScopedUiLogSink() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

}  // namespace ebm::studio
