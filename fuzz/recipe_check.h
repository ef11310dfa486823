// The invariant both recipe harnesses check on every recipe the parser accepts: what the writer
// makes of it reads back, and writing that again gives the same text (writer -> reader -> writer is
// a fixed point). A recipe that `ebm sample` or the studio accepts but cannot re-export and read
// back would break "every exported PNG reproduces its run".
#pragma once

#include "engine/recipe/recipe.h"

namespace ebm::fuzz {

// Aborts (a finding) when the round trip fails; returns normally otherwise.
void check_recipe_round_trip(const Recipe& r);

}  // namespace ebm::fuzz
