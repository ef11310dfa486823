#include "models/guidance.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace ebm {

std::string guidance_interval_problem(const GuidanceInterval& iv) {
  if (!std::isfinite(iv.lo) || iv.lo < 0) return "its lower end must be a finite σ ≥ 0";
  if (std::isnan(iv.hi) || iv.hi < iv.lo) return "its upper end must be ≥ its lower end (or unbounded)";
  return "";
}

nlohmann::json guidance_interval_to_json(const GuidanceInterval& iv) {
  return nlohmann::json::array({iv.lo, std::isinf(iv.hi) ? nlohmann::json(nullptr) : nlohmann::json(iv.hi)});
}

GuidanceInterval guidance_interval_from_json(const nlohmann::json& j) {
  if (!j.is_array() || j.size() != 2 || !j[0].is_number() || !(j[1].is_number() || j[1].is_null()))
    throw std::invalid_argument("must be [lo, hi]: two noise levels σ, hi null for no upper end");
  GuidanceInterval iv;
  iv.lo = j[0].get<double>();
  if (!j[1].is_null()) iv.hi = j[1].get<double>();
  if (auto p = guidance_interval_problem(iv); !p.empty()) throw std::invalid_argument(p);
  return iv;
}

namespace {
double parse_end(const std::string& s, const std::string& text) {
  if (s == "inf" || s == "+inf") return std::numeric_limits<double>::infinity();
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE)
    throw std::invalid_argument("guidance interval '" + text + "': '" + s + "' is not a number (write LO,HI, e.g. 0,0.5 or 0.2,inf)");
  return v;
}
}  // namespace

GuidanceInterval parse_guidance_interval(const std::string& text) {
  const auto comma = text.find(',');
  if (comma == std::string::npos || text.find(',', comma + 1) != std::string::npos)
    throw std::invalid_argument("guidance interval '" + text + "': write LO,HI (two noise levels σ, e.g. 0,0.5 or 0.2,inf)");
  GuidanceInterval iv;
  iv.lo = parse_end(text.substr(0, comma), text);
  iv.hi = parse_end(text.substr(comma + 1), text);
  if (auto p = guidance_interval_problem(iv); !p.empty())
    throw std::invalid_argument("guidance interval '" + text + "': " + p);
  return iv;
}

std::string to_string(const GuidanceInterval& iv) {
  std::ostringstream o;
  o << "[" << iv.lo << ", ";
  if (std::isinf(iv.hi)) o << "inf";
  else o << iv.hi;
  o << "]";
  return o.str();
}

}  // namespace ebm
