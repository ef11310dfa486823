// The walks of a denoising model's noise ladder offered by name — `--quality` of `ebm sample`,
// `ebm eval` and the studio, the Sampler panel's buttons, the script op set_walk's "quality":
//   draft  16 corrector steps of r = 0.5 at σ_max (where objects form), then 10 Euler steps with churn
//          20 and the denoise: 27 steps. Whether an object forms depends on the top steps' Langevin
//          time (steps × r): on the CPU suite (n = 32 per case, tune and held-out splits) 16 × 0.5
//          graded above the draft until 2026-12-05 (40 × 0.1, 51 steps) in every case, 10 × 0.2
//          formed fewer objects and 20 × 1.0 two or more in half the samples (docs/engine.md, "The
//          draft walk"). The studio's CPU default: a composition in seconds.
//   quick  24 corrector steps of r = 0.6 at σ_max, 14 Euler steps with churn 20, the denoise: 39 steps.
//          Graded on every suite case beside the final walk (H200, 2026-12-06 seventh sitting, n = 256
//          per case, both splits; assets/models/MODEL_CARD.md "The sitting of 2026-12-06 (seventh)"):
//          better than the final walk on every colour composition and on three and four concepts
//          (the four: 86.7 % against 77.6 held-out, two objects 1.2 %), within 2 points on position and
//          position ∧ shape, but 2–5 points under it on the held-out position ∧ size, position ∧ ¬colour
//          and the placed single concepts — so it is the default only around one prior
//          (engine/recipe/default_walk.h). Until then quick was t16 r0.8 e20 (37 steps), which drew
//          two objects in 14–40 % of four-concept samples.
//   final  the annealed Langevin ladder: 200 corrector steps at σ_max, then 40 levels × 5 steps of
//          r = 0.1 (400 steps) — the default for summed energies; LadderOptions{}.
// "auto" (the default of the commands and the studio on a GPU) is no preset: it picks quick or final
// by the composition (default_walk.h).
#pragma once

#include "engine/sampling/schedule.h"

#include <string>

namespace ebm {

LadderOptions draft_ladder();
LadderOptions quick_ladder();
LadderOptions final_ladder();

// "draft" | "quick" | "final" → that walk; anything else throws std::invalid_argument naming the three.
LadderOptions ladder_for_quality(const std::string& quality);

// The name of the preset `l` is ("draft", "quick", "final"), or "custom" when it is none of them (only
// the fields its walk uses are compared: an Euler walk's corrector levels do not matter).
std::string quality_of(const LadderOptions& l);

}  // namespace ebm
