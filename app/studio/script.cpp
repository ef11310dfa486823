#include "app/studio/script.h"

#include "app/studio/app_paths.h"
#include "engine/energy/composition.h"
#include "engine/sampling/sampler_params.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace ebm::studio {

using nlohmann::json;

const std::vector<std::pair<std::string, std::string>>& script_ops() {
  static const std::vector<std::pair<std::string, std::string>> kOps = {
      {"load_model", "path [, name]: load a model file (waits until it is loaded)"},
      {"add_term", "model [, label, weight, parent]: add a term under the root (or the operator at `parent`)"},
      {"add_operator", "kind (and|or|not) [, parent]: add an operator node"},
      {"remove", "term | path: remove a term or node"},
      {"set_label", "term, label | term, slot, value: set a term's label or one slot"},
      {"set_weight", "term | path, weight"},
      {"set_guidance", "term | path, guidance"},
      {"set_guidance_interval", "term | path, interval [lo, hi] (σ; hi null: no upper end): where the guidance applies"},
      {"set_enabled", "term | path, enabled"},
      {"set_solo", "term, solo"},
      {"set_operator", "path [, temperature] [, coefficient] [, prior]: Or temperature, Not coefficient, And/Not prior (each|shared)"},
      {"paint_mask", "term, points [[x,y]…] in 0..1 image units [, radius px, hardness, opacity, erase]"},
      {"mask", "term, op (clear|fill|invert|remove)"},
      {"set_sampler", "[steps, step_lr, noise_std, batch, seed, init, mode, step_rule, leapfrog_steps, device, precision, cuda_graph, preview_every_steps, preview_every_ms]"},
      {"start", "start a new chain"},
      {"pause", "pause"},
      {"resume", "resume"},
      {"cancel", "cancel the run"},
      {"restart", "[new_seed]: restart the chain"},
      {"run_steps", "steps [, timeout_s]: run N more steps and wait until they are done"},
      {"wait", "frames | ms | until (settled|running|images|gradients): let the UI run; gradients: the selected sample's gradient maps are shown for the current step"},
      {"rewind", "step: go back to a kept step (waits until the chain is there)"},
      {"select", "sample: select a sample in the grid (-1: none)"},
      {"show_curves", "plot (energy|grad_norm|acceptance): what the Curves panel plots"},
      {"export", "path [, kind (grid|samples|sequence)]: export PNGs with the recipe (waits until written)"},
      {"save_preset", "path: save the recipe as JSON"},
      {"open_preset", "path: open a recipe JSON or an exported PNG"},
      {"screenshot", "path: PNG of the whole window, taken at the end of the frame"},
      {"quit", "[code]: quit (a script that ends without quit quits with 0)"},
  };
  return kOps;
}

namespace {

[[noreturn]] void bad(const ScriptAction& a, const std::string& what) {
  throw std::invalid_argument("script " + a.where() + ": " + what);
}

void need(const ScriptAction& a, const char* key, json::value_t type_hint, const char* type_name) {
  if (!a.args.contains(key)) bad(a, std::string("needs '") + key + "' (" + type_name + ")");
  const json& v = a.args.at(key);
  bool ok = false;
  switch (type_hint) {
    case json::value_t::number_float: ok = v.is_number(); break;
    case json::value_t::number_integer: ok = v.is_number_integer(); break;
    case json::value_t::string: ok = v.is_string() && !v.get<std::string>().empty(); break;
    case json::value_t::array: ok = v.is_array(); break;
    case json::value_t::boolean: ok = v.is_boolean(); break;
    default: ok = true;
  }
  if (!ok) bad(a, std::string("'") + key + "' must be " + type_name);
}

// An optional string argument that `parse` must accept: its std::invalid_argument becomes this
// action's error, so a script fails before it runs rather than halfway.
template <typename Parse>
void parsed_if_given(const ScriptAction& a, const char* key, const char* type_name, Parse parse) {
  if (!a.args.contains(key)) return;
  need(a, key, json::value_t::string, type_name);
  try {
    (void)parse(a.args.at(key).get<std::string>());
  } catch (const std::invalid_argument& e) {
    bad(a, e.what());
  }
}

void need_term(const ScriptAction& a) {
  if (!a.args.contains("term")) bad(a, "needs 'term' (its index from 0 in depth-first order, or its name)");
  const json& t = a.args.at("term");
  if (!(t.is_number_integer() && t.get<int>() >= 0) && !(t.is_string() && !t.get<std::string>().empty()))
    bad(a, "'term' must be a term index >= 0 or a term name");
}

void need_term_or_path(const ScriptAction& a) {
  if (a.args.contains("path")) {
    if (!a.args.at("path").is_array()) bad(a, "'path' must be an array of child indices, e.g. [0, 1]");
    for (const auto& i : a.args.at("path"))
      if (!i.is_number_integer() || i.get<int>() < 0) bad(a, "'path' must hold child indices >= 0");
    return;
  }
  need_term(a);
}

void positive(const ScriptAction& a, const char* key, double lo, double hi) {
  if (!a.args.contains(key)) return;
  if (!a.args.at(key).is_number()) bad(a, std::string("'") + key + "' must be a number");
  const double v = a.args.at(key).get<double>();
  if (!(v >= lo && v <= hi)) bad(a, std::string("'") + key + "' = " + std::to_string(v) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

void validate(const ScriptAction& a) {
  const std::string& op = a.op;
  if (op == "load_model" || op == "save_preset" || op == "open_preset" || op == "screenshot") {
    need(a, "path", json::value_t::string, "a non-empty string");
  } else if (op == "add_term") {
    need(a, "model", json::value_t::string, "a model name");
    if (a.args.contains("label")) {
      if (!a.args.at("label").is_array()) bad(a, "'label' must be an array of numbers");
      for (const auto& v : a.args.at("label"))
        if (!v.is_number()) bad(a, "'label' must hold numbers only");
    }
    positive(a, "weight", -1e6, 1e6);
  } else if (op == "add_operator") {
    need(a, "kind", json::value_t::string, "\"and\", \"or\" or \"not\"");
    const auto k = a.args.at("kind").get<std::string>();
    if (k != "and" && k != "or" && k != "not") bad(a, "'kind' must be \"and\", \"or\" or \"not\", got \"" + k + "\"");
  } else if (op == "remove" || op == "set_weight" || op == "set_guidance" || op == "set_enabled") {
    need_term_or_path(a);
    if (op == "set_weight") need(a, "weight", json::value_t::number_float, "a number");
    if (op == "set_guidance") {
      if (!a.args.contains("guidance")) bad(a, "needs 'guidance' (a number in [0, 100])");
      positive(a, "guidance", 0, kMaxGuidance);
    }
    if (op == "set_enabled") need(a, "enabled", json::value_t::boolean, "true or false");
  } else if (op == "set_guidance_interval") {
    need_term_or_path(a);
    if (!a.args.contains("interval")) bad(a, "needs 'interval' ([lo, hi], hi null for no upper end)");
    try {
      guidance_interval_from_json(a.args.at("interval"));
    } catch (const std::invalid_argument& e) {
      bad(a, std::string("'interval' ") + e.what());
    }
  } else if (op == "set_solo") {
    need_term(a);
    need(a, "solo", json::value_t::boolean, "true or false");
  } else if (op == "set_label") {
    need_term(a);
    if (a.args.contains("label")) {
      need(a, "label", json::value_t::array, "an array of numbers");
    } else {
      if (!a.args.contains("slot") || !(a.args.at("slot").is_number_integer() || a.args.at("slot").is_string()))
        bad(a, "needs 'label' (array) or 'slot' (index or name) and 'value'");
      need(a, "value", json::value_t::number_float, "a number");
    }
  } else if (op == "set_operator") {
    need_term_or_path(a);
    positive(a, "temperature", 1e-6, 1e9);
    positive(a, "coefficient", -1e9, 1e9);
    if (a.args.contains("prior") &&
        !(a.args.at("prior").is_string() && (a.args.at("prior") == "each" || a.args.at("prior") == "shared")))
      bad(a, "'prior' must be \"each\" or \"shared\"");
  } else if (op == "paint_mask") {
    need_term(a);
    need(a, "points", json::value_t::array, "an array of [x, y] pairs in 0..1");
    if (a.args.at("points").empty()) bad(a, "'points' is empty");
    for (const auto& p : a.args.at("points"))
      if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
        bad(a, "every point must be [x, y] with numbers in 0..1 (image units)");
    positive(a, "radius", 0.5, 1024);
    positive(a, "hardness", 0, 1);
    positive(a, "opacity", 0, 1);
  } else if (op == "mask") {
    need_term(a);
    need(a, "op", json::value_t::string, "clear, fill, invert or remove");
    const auto m = a.args.at("op").get<std::string>();
    if (m != "clear" && m != "fill" && m != "invert" && m != "remove") bad(a, "'op' must be clear, fill, invert or remove");
  } else if (op == "set_sampler") {
    positive(a, "steps", 1, 1e8);
    positive(a, "step_lr", 0, 1e9);
    positive(a, "noise_std", 0, 1e3);
    positive(a, "batch", 1, 4096);
    positive(a, "seed", 0, 1e15);
    positive(a, "preview_every_steps", 0, 1e6);
    positive(a, "preview_every_ms", 0, 1e7);
    parsed_if_given(a, "device", "cpu, cuda or cuda:N", parse_device);
    parsed_if_given(a, "precision", "fp32, tf32 or bf16", precision_from_string);
    parsed_if_given(a, "step_rule", "langevin, mala or hmc", step_rule_from_string);
    positive(a, "leapfrog_steps", 1, 100);
    parsed_if_given(a, "mode", "joint or sequential", sample_mode_from_string);
    parsed_if_given(a, "init", "uniform, gaussian, grey_colour, image or noise", init_mode_from_string);
    if (a.args.contains("cuda_graph")) need(a, "cuda_graph", json::value_t::boolean, "true or false");
  } else if (op == "run_steps") {
    need(a, "steps", json::value_t::number_integer, "an integer >= 1");
    positive(a, "steps", 1, 1e8);
    positive(a, "timeout_s", 0.1, 1e5);
  } else if (op == "wait") {
    if (!a.args.contains("frames") && !a.args.contains("ms") && !a.args.contains("until"))
      bad(a, "needs 'frames', 'ms' or 'until' (settled|running|images|gradients)");
    positive(a, "frames", 0, 1e7);
    positive(a, "ms", 0, 1e8);
    if (a.args.contains("until")) {
      const auto u = a.args.value("until", std::string());
      if (u != "settled" && u != "running" && u != "images" && u != "gradients")
        bad(a, "'until' must be settled, running, images or gradients");
    }
  } else if (op == "rewind") {
    need(a, "step", json::value_t::number_integer, "a kept step (integer >= 0)");
    positive(a, "step", 0, 1e12);
  } else if (op == "select") {
    need(a, "sample", json::value_t::number_integer, "a sample index (-1: none)");
  } else if (op == "show_curves") {
    need(a, "plot", json::value_t::string, "energy, grad_norm or acceptance");
    const auto p = a.args.at("plot").get<std::string>();
    if (p != "energy" && p != "grad_norm" && p != "acceptance") bad(a, "'plot' must be energy, grad_norm or acceptance");
  } else if (op == "export") {
    need(a, "path", json::value_t::string, "a non-empty string");
    const auto k = a.args.value("kind", std::string("grid"));
    if (k != "grid" && k != "samples" && k != "sequence") bad(a, "'kind' must be grid, samples or sequence");
  } else if (op == "restart") {
    if (a.args.contains("new_seed") && !a.args.at("new_seed").is_boolean()) bad(a, "'new_seed' must be true or false");
  } else if (op == "quit") {
    if (a.args.contains("code") && !a.args.at("code").is_number_integer()) bad(a, "'code' must be an integer");
  } else if (op == "start" || op == "pause" || op == "resume" || op == "cancel") {
  } else {
    std::string known;
    for (const auto& [name, _] : script_ops()) known += (known.empty() ? "" : ", ") + name;
    bad(a, "unknown action; known actions: " + known);
  }
}

}  // namespace

Script parse_script(const std::string& text, const std::filesystem::path& base_dir) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(std::string("script is not valid JSON: ") + e.what());
  }
  const json* list = &j;
  if (j.is_object()) {
    if (!j.contains("actions")) throw std::invalid_argument("script must be a JSON array of actions or an object with an \"actions\" array");
    list = &j.at("actions");
  }
  if (!list->is_array()) throw std::invalid_argument("the script's \"actions\" must be an array");
  if (list->size() > 100000) throw std::invalid_argument("script has more than 100000 actions");
  Script s;
  s.base_dir = base_dir;
  int i = 0;
  for (const auto& a : *list) {
    ScriptAction act;
    act.index = i++;
    if (!a.is_object() || !a.contains("do") || !a.at("do").is_string())
      throw std::invalid_argument("script action " + std::to_string(act.index) + " must be an object with a \"do\" string");
    act.op = a.at("do").get<std::string>();
    act.args = a;
    validate(act);
    s.actions.push_back(std::move(act));
  }
  return s;
}

Script load_script(const std::filesystem::path& file) {
  std::string text;
  try {
    text = read_file(file);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("cannot read the script: ") + e.what());
  }
  auto dir = file.parent_path();
  return parse_script(text, dir.empty() ? std::filesystem::path(".") : dir);
}

}  // namespace ebm::studio
