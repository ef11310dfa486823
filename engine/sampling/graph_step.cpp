#include "engine/sampling/graph_step.h"

#include <stdexcept>

namespace ebm {

void GraphStep::capture(const std::string& key, const ChainState& state, StepScalars sc, const Body& body) {
  reset();
  auto b = std::make_unique<Buffers>();
  b->x = state.x.clone();
  b->ids = state.sample_ids.clone();
  b->resets = state.resets.clone();
  b->sc = std::move(sc);
  Buffers* bp = b.get();
  graph_.capture([bp, &body] { body(*bp); }, state.x.device().index());
  key_ = key;
  buffers_ = std::move(b);
  ++captures_;
}

StepStats GraphStep::replay(ChainState* state, const std::function<void(StepScalars*)>& write) {
  if (!buffers_) throw std::logic_error("GraphStep::replay: nothing captured");
  Buffers& b = *buffers_;
  b.x.copy_(state->x);
  b.resets.copy_(state->resets);
  write(&b.sc);
  graph_.replay();
  // Outputs are cloned: a kept ChainState or snapshot must not change at the next replay.
  StepStats st;
  st.energy = b.stats.energy.clone();
  st.grad_norm = b.stats.grad_norm.clone();
  st.reset = b.stats.reset.clone();
  if (b.stats.accepted.defined()) st.accepted = b.stats.accepted.clone();
  for (const auto& t : b.stats.per_term) st.per_term.push_back(t.defined() ? t.clone() : t);
  state->x = b.x_out.clone();
  state->resets = b.resets_out.clone();
  return st;
}

void GraphStep::reset() {
  buffers_.reset();  // the buffers first, then the graph whose memory pool they came from
  graph_.reset();
  key_.clear();
}

}  // namespace ebm
