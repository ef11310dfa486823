#include "engine/recipe/version.h"
namespace ebm {
const char* version() { return "0.1.0"; }
}  // namespace ebm
