// Script actions of the Read panel (issue #29): read a picture or a sample into concepts, use the
// labels read, and edit from the image — the same Studio calls as the panel's buttons.
#include "app/studio/script_args.h"
#include "app/studio/script_ops.h"
#include "app/studio/studio.h"

#include <stdexcept>

namespace ebm::studio {

namespace {

using nlohmann::json;

bool run_read_image(ScriptContext& c, const ScriptAction& a) {
  c.studio.read_image_file(c.input_path(a.args.at("path").get<std::string>()).string());
  if (!c.studio.reader().image().defined()) throw std::runtime_error("the image was not opened (the log says why)");
  return true;
}

void validate_read_sample(const ScriptAction& a) {
  need(a, "sample", json::value_t::number_integer, "a sample index of the grid (0 = the first)");
}

bool run_read_sample(ScriptContext& c, const ScriptAction& a) {
  c.studio.read_sample(a.args.at("sample").get<int>());
  return true;
}

void validate_wait_read(const ScriptAction& a) { in_range(a, "seconds", 0, 3600); }

bool run_wait_read(ScriptContext& c, const ScriptAction& a) {
  c.wait_time_until = ScriptContext::Clock::now() + std::chrono::milliseconds(static_cast<long>(1000 * a.args.value("seconds", 600.0)));
  return false;
}

bool poll_wait_read(ScriptContext& c, const ScriptAction&) {
  const ConceptReader& r = c.studio.reader();
  if (r.state() == ConceptReader::State::Done) {
    for (const auto& m : r.readings())
      if (!m.error.empty()) throw std::runtime_error("reading failed: " + (m.model.empty() ? "" : m.model + ": ") + m.error);
    return true;
  }
  if (r.state() == ConceptReader::State::Idle) throw std::runtime_error("nothing is being read (read_image or read_sample first)");
  if (ScriptContext::Clock::now() > c.wait_time_until) throw std::runtime_error("the read took longer than the wait allows");
  return false;
}

bool run_use_reading(ScriptContext& c, const ScriptAction&) {
  if (c.studio.use_reading().empty()) throw std::runtime_error("no term took the labels read");
  return true;
}

void validate_edit_from_image(const ScriptAction& a) {
  in_range(a, "sigma", 0, kMaxInitSigma);
  if (a.args.contains("pull")) need(a, "pull", json::value_t::boolean, "true or false");
  if (a.args.contains("box")) {
    const json& b = a.args.at("box");
    if (!b.is_array() || b.size() != 4)
      bad_arg(a, "box must be [left, top, right, bottom], fractions of the image in [0, 1]");
    for (const auto& v : b)
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1)
        bad_arg(a, "box must be [left, top, right, bottom], fractions of the image in [0, 1], got " + b.dump());
  }
}

bool run_edit_from_image(ScriptContext& c, const ScriptAction& a) {
  if (a.args.contains("pull")) c.controller().set_edit_pull(a.args.at("pull").get<bool>());
  // The Read panel's box as the script gives it; without one, the whole image (as before boxes). As
  // ticking the box does, that moves sigma to the mode's start value; a given sigma wins.
  ReadSettings& rs = c.studio.ui().read;
  rs.set_use_box(a.args.contains("box"));
  if (rs.use_box) {
    const json& b = a.args.at("box");
    rs.box = EditBox{b[0].get<float>(), b[1].get<float>(), b[2].get<float>(), b[3].get<float>()};
  }
  if (a.args.contains("sigma")) rs.sigma = a.args.at("sigma").get<float>();
  c.start_event_seq = last_event_seq(c.controller());
  c.start_error_seen.reset();
  c.studio.edit_from_read_image();
  return true;
}

bool run_stop_image_edit(ScriptContext& c, const ScriptAction&) {
  c.controller().stop_image_edit();
  return true;
}

}  // namespace

std::vector<ScriptOp> reading_script_ops() {
  return {
      {"read_image", "path: a picture (PNG/JPEG) read into concepts in the Read panel, as a drop of it does",
       need_path, run_read_image, nullptr},
      {"read_sample", "sample: sample i of the grid read into concepts (Views panel: Read concepts)",
       validate_read_sample, run_read_sample, nullptr},
      {"wait_read", "[seconds (600)]: wait until the read is done; fails when it failed or took longer",
       validate_wait_read, run_wait_read, poll_wait_read},
      {"use_reading", "set the labels read on the composition's terms (Read panel: Use these labels)", no_args,
       run_use_reading, nullptr},
      {"edit_from_image", "[sigma, pull, box]: restart the chains from the Read panel's image noised to sigma (pull: raise changed labels to guidance 6; box: [left, top, right, bottom] in [0, 1], redraw only inside it)", validate_edit_from_image,
       run_edit_from_image, nullptr},
      {"stop_image_edit", "back to sampling from noise (Read panel: Back to noise)", no_args, run_stop_image_edit, nullptr},
  };
}

}  // namespace ebm::studio
