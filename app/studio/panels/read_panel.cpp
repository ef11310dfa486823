// Read panel (issue #29): an image — dropped on the window, or a sample of the grid — read into the
// concepts of the composition's models (the label each model finds most likely, with how sure it
// is), those labels put into the composition, and the chains restarted from the image noised to σ:
// change one label (a colour), press Edit, and the rest of the picture stays.
#include "app/studio/panels/panels.h"

#include "engine/infer/concept_reading.h"

#include <cmath>
#include <cstdio>
#include <set>

namespace ebm::studio {

namespace {

void draw_readings_table(PanelContext& c, const ConceptReader& reader) {
  if (!ImGui::BeginTable("readings", 5, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchProp))
    return;
  ImGui::TableSetupColumn("term");
  ImGui::TableSetupColumn("model");
  ImGui::TableSetupColumn("read as");
  ImGui::TableSetupColumn("margin");
  ImGui::TableSetupColumn("label now");
  ImGui::TableHeadersRow();
  std::set<std::string> shown;
  auto row = [&](const std::string& term, const ModelReading& r, const std::string& now) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(term.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(r.model.c_str());
    ImGui::TableNextColumn();
    if (!r.error.empty()) {
      ImGui::TextColored(ImVec4(1.f, 0.45f, 0.4f, 1.f), "failed");
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", r.error.c_str());
    } else {
      ImGui::TextUnformatted(r.text.c_str());
    }
    ImGui::TableNextColumn();
    if (r.error.empty() && std::isfinite(r.reading.margin)) ImGui::Text("%.3g", r.reading.margin);
    else ImGui::TextDisabled("-");
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(now.c_str());
  };
  for (const auto& p : c.ctl.term_paths()) {
    const Node* t = c.ctl.node(p);
    for (const auto& r : reader.readings())
      if (r.model == t->model) {
        const ModelEntry* m = c.ctl.model(t->model);
        row(t->name, r, m ? describe_label(t->label, m->schema) : std::string("?"));
        shown.insert(r.model);
      }
  }
  for (const auto& r : reader.readings())
    if (!shown.count(r.model)) row("-", r, r.model.empty() ? std::string() : "(no term)");
  ImGui::EndTable();
}

// The edit box over the image shown at `origin`, `side` pixels a side: a drag on the image draws it
// (from where the button went down to where the mouse is), and it is outlined, the held rest dimmed.
void edit_box_over_image(ReadSettings& rs, const ImVec2& origin, float side) {
  const ImVec2 after = ImGui::GetCursorScreenPos();
  ImGui::SetCursorScreenPos(origin);
  ImGui::InvisibleButton("edit_box", ImVec2(side, side));
  const ImVec2 m = ImGui::GetIO().MousePos;
  const float fx = (m.x - origin.x) / side, fy = (m.y - origin.y) / side;
  if (ImGui::IsItemActivated()) {
    rs.box.x0 = rs.box.x1 = fx;
    rs.box.y0 = rs.box.y1 = fy;
  } else if (ImGui::IsItemActive()) {
    rs.box.x1 = fx;
    rs.box.y1 = fy;
  } else if (ImGui::IsItemDeactivated()) {
    rs.box = rs.box.normalized();
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Drag a box: the edit redraws inside it and holds the rest.");
  const EditBox b = rs.box.normalized();
  const ImVec2 lo(origin.x + b.x0 * side, origin.y + b.y0 * side), hi(origin.x + b.x1 * side, origin.y + b.y1 * side);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImU32 dim = IM_COL32(0, 0, 0, 110);
  dl->AddRectFilled(origin, ImVec2(origin.x + side, lo.y), dim);
  dl->AddRectFilled(ImVec2(origin.x, hi.y), ImVec2(origin.x + side, origin.y + side), dim);
  dl->AddRectFilled(ImVec2(origin.x, lo.y), ImVec2(lo.x, hi.y), dim);
  dl->AddRectFilled(ImVec2(hi.x, lo.y), ImVec2(origin.x + side, hi.y), dim);
  dl->AddRect(lo, hi, IM_COL32(255, 220, 60, 255), 0.f, 0, 2.f);
  ImGui::SetCursorScreenPos(after);
}

}  // namespace

void draw_read_panel(PanelContext& c) {
  if (!c.ui.read.show || c.reader == nullptr) return;
  if (!ImGui::Begin("Read", &c.ui.read.show)) {
    ImGui::End();
    return;
  }
  const ConceptReader& reader = *c.reader;
  ReadSettings& rs = c.ui.read;

  if (!reader.image().defined()) {
    ImGui::TextWrapped("Drop a picture (PNG or JPEG without a recipe) on the window, or select a sample in the Views "
                       "panel and press Read concepts: each concept model of the composition reads the label it finds "
                       "most likely for it.");
    ImGui::End();
    return;
  }
  // The image, and what it is.
  const float side = 128.f * c.scale;
  if (const gl::Texture2D* t = c.gfx.read_image()) {
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(t->id())), ImVec2(side, side));
    if (rs.use_box) edit_box_over_image(rs, origin, side);
    ImGui::SameLine();
  }
  ImGui::BeginGroup();
  ImGui::Text("%s", reader.source().c_str());
  ImGui::TextDisabled("%lld x %lld", static_cast<long long>(reader.image().size(2)), static_cast<long long>(reader.image().size(1)));
  switch (reader.state()) {
    case ConceptReader::State::Reading:
      ImGui::Text("reading... %d of %d models", reader.models_done(), reader.models_total());
      break;
    case ConceptReader::State::Done: ImGui::Text("read in %.1f s", reader.seconds()); break;
    case ConceptReader::State::Idle: ImGui::TextDisabled("not read yet"); break;
  }
  const bool reading = reader.state() == ConceptReader::State::Reading;
  if (reading) ImGui::BeginDisabled();
  if (ImGui::Button("Read again")) guarded(c.ctl, "read", [&] { c.actions.read_again(); });
  if (reading) ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::Checkbox("thorough", &rs.thorough);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("On a CPU the read is quick by default (2 starts of 15 descent steps per continuous concept,\n"
                      "~20 s for four models on 2 cores). Thorough: 4 starts of 40 steps, ~3x longer. On a GPU always thorough.");
  ImGui::EndGroup();

  if (reader.state() == ConceptReader::State::Done) {
    section("What the models read");
    draw_readings_table(c, reader);
    if (ImGui::Button("Use these labels")) guarded(c.ctl, "use the labels read", [&] { c.actions.use_reading(); });
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("Set each term's label to what its model read (terms under Not keep theirs);\n"
                        "with an empty composition, one term per model, And-ed.");
    help_marker("margin: how much worse the runner-up scores (the next class, or the best label a quarter of the range "
                "away). Near 0: the model cannot tell.");
  }

  section("Edit from this image");
  ImGui::TextWrapped("Chains start from the image noised to sigma and walk the ladder from there: what the noise washes "
                     "out is redrawn by the composition, the rest stays. Change one label, then Edit.");
  ImGui::SetNextItemWidth(200.f * c.scale);
  ImGui::SliderFloat("sigma", &rs.sigma, 0.05f, 1.0f, "%.2f");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("The whole image: 0.8 (lower keeps more of the picture, and takes the new label less often;\n"
                      "1 forgets it but for the labels). Inside a box: 1 — the box is redrawn from noise at the\n"
                      "composition's labels while the rest is held (ticking the box sets it).");
  bool use_box = rs.use_box;
  if (ImGui::Checkbox("only inside a box", &use_box)) rs.set_use_box(use_box);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Drag a box on the image: the edit redraws inside it, and after every step the rest is put back\n"
                      "to the image (noised as the chain is then; the image itself at the end), so nothing outside\n"
                      "the box can move or change. Ticking it sets sigma to 1, unticking to 0.8. Off: the whole\n"
                      "image may change.");
  if (rs.use_box) {
    ImGui::SameLine();
    ImGui::TextDisabled("%s", rs.box.describe().c_str());
  }
  // An edit in a box takes no pull (Controller::edit_from_image): the checkbox is greyed out there.
  ImGui::BeginDisabled(rs.use_box);
  bool pull = c.ctl.edit_pull();
  if (ImGui::Checkbox("pull changed labels (guidance 6)", &pull)) c.ctl.set_edit_pull(pull);
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip("A term whose label you changed after Use these labels is raised to guidance 6 when Edit starts\n"
                      "(if it is below): the new label has to outweigh what the noised image still shows.\n"
                      "64 colour edits of the whole image: the new colour in 66 %% of them at 6, 53 %% at the colour\n"
                      "file's 2. Not in a box: there the box is redrawn from noise and the file's own guidance draws\n"
                      "the new colour best (100 %% of the same edits; 94 %% pulled to 6).");
  ImGui::EndDisabled();
  if (ImGui::Button("Edit from this image")) guarded(c.ctl, "edit from the image", [&] { c.actions.edit_from_image(); });
  if (c.ctl.editing_image()) {
    ImGui::SameLine();
    if (ImGui::Button("Back to noise")) guarded(c.ctl, "stop editing", [&] { c.ctl.stop_image_edit(); });
    const SamplerParams& p = c.ctl.sampler();
    ImGui::TextDisabled("editing: chains start from an image at sigma %.3f, %lld steps%s", init_noise_sigma(p),
                        static_cast<long long>(p.total_steps()), p.init_region.defined() ? ", the rest held outside the box" : "");
  }
  ImGui::End();
}

}  // namespace ebm::studio
