// What a run started with --init-from FILE takes from the training that wrote FILE: the options that
// define what the model learns (objective, width, noise schedule, the loss's weighting over noise
// levels, label dropout). Without them a continuation silently trained another objective — on
// 2026-12-06 a colour file trained with EDM weighting was continued with the default ε weighting and
// came out worse (assets/models/MODEL_CARD.md, third sitting of that day). Options given on the
// command line win; run settings (lr, batch, EMA, iterations …) are never taken.
#pragma once

#include "engine/train/train_options.h"

#include <nlohmann/json_fwd.hpp>

#include <set>
#include <string>
#include <vector>

namespace ebm::train {

// The option keys a continuation takes from its source file's training.
const std::vector<std::string>& init_source_option_keys();

// The `options` object of FILE's `ebm.training` metadata; an empty object when the file has none
// (a converted or hand-made model). Throws std::invalid_argument naming `--init-from FILE` when it
// cannot be read or its training metadata is not JSON.
nlohmann::json init_source_options(const std::string& path);

// Sets each of init_source_option_keys() that `source` holds and `given` (keys set on the command
// line) does not. Returns "key value" for each option that changed, in the order of the keys above
// (for the log line).
std::vector<std::string> inherit_init_source_options(TrainOptions* o, const nlohmann::json& source,
                                                     const std::set<std::string>& given);

}  // namespace ebm::train
