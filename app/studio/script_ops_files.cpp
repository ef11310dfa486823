// Script actions that write and read files (exports, presets, screenshots) and end the script.
#include "app/studio/script_args.h"
#include "app/studio/script_ops.h"
#include "app/studio/studio.h"

#include <stdexcept>

namespace ebm::studio {

namespace {

using nlohmann::json;

// The worker writes the files and reports an `exported` or `error` event after the one seen first.
bool poll_exported(ScriptContext& c, const ScriptAction&) {
  const auto& s = c.controller().snapshot();
  if (!s) return false;
  for (const auto& e : s->events) {
    if (e.seq <= c.wait_seq) continue;
    if (e.kind == Event::Kind::Exported) return true;
    if (e.kind == Event::Kind::Error) throw std::runtime_error(e.message);
  }
  return false;
}

void validate_export(const ScriptAction& a) {
  need(a, "path", json::value_t::string, "a non-empty string");
  const auto k = a.args.value("kind", std::string("grid"));
  if (k != "grid" && k != "samples" && k != "sequence") bad_arg(a, "'kind' must be grid, samples or sequence");
}

bool run_export(ScriptContext& c, const ScriptAction& a) {
  ExportSettings& e = c.studio.ui().exports;
  const auto path = c.output_path(a.args.at("path").get<std::string>());
  e.dir = path.parent_path().string();
  e.name = path.stem().string();
  const auto k = a.args.value("kind", std::string("grid"));
  e.kind = k == "grid" ? 0 : k == "samples" ? 1 : 2;
  c.wait_seq = last_event_seq(c.controller());
  c.studio.export_now();
  c.written.push_back(path.string());
  return false;
}

bool run_save_preset(ScriptContext& c, const ScriptAction& a) {
  const auto p = c.output_path(a.args.at("path").get<std::string>());
  c.wait_seq = last_event_seq(c.controller());
  c.studio.save_preset(p.string());
  c.written.push_back(p.string());
  return false;
}

bool run_open_preset(ScriptContext& c, const ScriptAction& a) {
  // Opening a recipe starts its chain once its models are in: errors of that start come after now.
  c.start_event_seq = last_event_seq(c.controller());
  c.start_error_seen.reset();
  c.studio.open_preset(c.input_path(a.args.at("path").get<std::string>()).string());
  return true;
}

void validate_open_example(const ScriptAction& a) {
  need(a, "name", json::value_t::string, "an example's file name without .json, e.g. \"color_and_position\"");
}

bool run_open_example(ScriptContext& c, const ScriptAction& a) {
  c.start_event_seq = last_event_seq(c.controller());
  c.start_error_seen.reset();
  c.studio.open_example(a.args.at("name").get<std::string>());
  return true;
}

void validate_drop(const ScriptAction& a) {
  need(a, "paths", json::value_t::array, "an array of file paths");
  if (a.args.at("paths").empty()) bad_arg(a, "'paths' is empty");
  for (const auto& p : a.args.at("paths"))
    if (!p.is_string() || p.get<std::string>().empty()) bad_arg(a, "'paths' must hold non-empty strings");
}

bool run_drop(ScriptContext& c, const ScriptAction& a) {
  // The window's drop callback's path: queued now, opened at the start of the next frame.
  c.start_event_seq = last_event_seq(c.controller());
  c.start_error_seen.reset();
  std::vector<std::string> paths;
  for (const auto& p : a.args.at("paths")) paths.push_back(c.input_path(p.get<std::string>()).string());
  c.studio.open_dropped(paths);
  return false;
}

bool poll_drop(ScriptContext& c, const ScriptAction&) { return !c.studio.drop_pending(); }

bool run_screenshot(ScriptContext& c, const ScriptAction& a) {
  const auto p = c.output_path(a.args.at("path").get<std::string>());
  c.studio.request_screenshot(p);
  c.written.push_back(p.string());
  return false;
}

bool poll_screenshot(ScriptContext& c, const ScriptAction&) { return !c.studio.screenshot_pending(); }

void validate_quit(const ScriptAction& a) {
  if (a.args.contains("code") && !a.args.at("code").is_number_integer()) bad_arg(a, "'code' must be an integer");
}

bool run_quit(ScriptContext& c, const ScriptAction& a) {
  c.quit = true;
  c.studio.quit(a.args.value("code", 0));
  return true;
}

}  // namespace

std::vector<ScriptOp> file_script_ops() {
  return {
      {"export", "path [, kind (grid|samples|sequence)]: export PNGs with the recipe (waits until written)",
       validate_export, run_export, poll_exported},
      {"save_preset", "path: save the recipe as JSON", need_path, run_save_preset, poll_exported},
      {"open_preset", "path: open a recipe JSON or an exported PNG", need_path, run_open_preset, nullptr},
      {"open_example", "name: open the shipped example NAME.json (File > Open example)", validate_open_example,
       run_open_example, nullptr},
      {"drop", "paths [...]: files dropped on the window (recipes .json/.png open, pictures without a recipe are read, other files load as models)",
       validate_drop, run_drop, poll_drop},
      {"screenshot", "path: PNG of the whole window, taken at the end of the frame", need_path, run_screenshot,
       poll_screenshot},
      {"quit", "[code]: quit (a script that ends without quit quits with 0)", validate_quit, run_quit, nullptr},
  };
}

}  // namespace ebm::studio
