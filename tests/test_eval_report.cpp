// train/eval_report: the three printings of `ulrseg eval`'s report, byte for byte, from fixed numbers.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "train/eval_report.h"
#include "train/config.h"

using namespace ulr;

namespace {

// What print(report, file) writes.
template <class Print>
std::string printed(Print print, const EvalReport& report) {
  FILE* f = std::tmpfile();
  REQUIRE(f);
  print(report, f);
  std::string out(size_t(std::ftell(f)), '\0');
  std::rewind(f);
  REQUIRE(std::fread(&out[0], 1, out.size(), f) == out.size());
  std::fclose(f);
  return out;
}

std::string train_config(Method method, uint64_t seed) {
  TrainConfig c;
  c.method = method, c.seed = seed;
  return c.to_json().dump();
}

// Three classes; gt 1 1 2 2, pred 1 2 2 2: IoU unknown NaN, bed 0.5, books 2/3.
ModelEval model(const std::string& weights, Method method, uint64_t seed, double psnr) {
  ModelEval m;
  m.weights = weights, m.method = method, m.config.num_classes = 3;
  m.train_config = train_config(method, seed);
  m.result.cm = ConfusionMatrix(3);
  const uint8_t gt[] = {1, 1, 2, 2}, pred[] = {1, 2, 2, 2};
  m.result.cm.add(gt, pred, 4);
  m.result.psnr = psnr, m.result.ssim = 0.5;
  m.result.frames = 4, m.result.seconds = 0.5;
  return m;
}

EvalReport two_seeds_and_hr() {
  EvalReport r;
  r.data = "synthetic", r.split = "test", r.sensor = "area", r.data_seed = 1, r.views = 4;
  r.models = {model("a.safetensors", Method::Joint, 1, 21.5), model("b.safetensors", Method::Joint, 2, 22.5),
              model("hr.safetensors", Method::Hr, 1, 0)};
  r.groups = seed_groups(r.models);
  return r;
}

}  // namespace

TEST_CASE("eval report as text") {
  EvalReport r = two_seeds_and_hr();
  r.models.pop_back();
  r.groups = seed_groups(r.models);
  const std::string one =
      "a.safetensors (joint) on synthetic/test, 4 views, 16x16 -> 64x64, 8.0 frames/s\n"
      "  mIoU 0.5833   pixel acc 0.7500   class acc 0.7500   FWIoU 0.5833\n"
      "  SR image: PSNR 21.50 dB   SSIM 0.5000\n"
      "  per-class IoU:\n"
      "     0 unknown    –\n"
      "     1 bed        0.5000\n"
      "     2 books      0.6667\n";
  const std::string text = printed(print_eval_text, r);
  CHECK(text.rfind(one, 0) == 0);
  CHECK(text.find("b.safetensors (joint) on synthetic/test, 4 views") != std::string::npos);
  CHECK(text.substr(text.find("over seeds:\n")) ==
        "over seeds:\n"
        "| method | runs (seeds) | mIoU mean ± sd | mIoU min–max | pixel acc | PSNR (dB) |\n"
        "|---|---|---|---|---|---|\n"
        "| joint | 2 (1, 2) | 0.583 ± 0.000 | 0.583–0.583 | 0.750 | 22.00 |\n");
  r.models.pop_back();  // one model: no seed groups
  r.groups = seed_groups(r.models);
  CHECK(printed(print_eval_text, r) == one);
}

TEST_CASE("eval report as markdown: the HR model has no SR image") {
  const std::string md = printed(print_eval_markdown, two_seeds_and_hr());
  CHECK(md ==
        "4 views of synthetic/test (data seed 1), sensor area\n\n"
        "| weights | method | input | mIoU | pixel acc | class acc | FWIoU | PSNR (dB) | SSIM |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| `a.safetensors` | joint | 16x16 | 0.583 | 0.750 | 0.750 | 0.583 | 21.50 | 0.500 |\n"
        "| `b.safetensors` | joint | 16x16 | 0.583 | 0.750 | 0.750 | 0.583 | 22.50 | 0.500 |\n"
        "| `hr.safetensors` | hr | 64x64 (HR) | 0.583 | 0.750 | 0.750 | 0.583 | – | – |\n"
        "\nPer-class IoU:\n\n"
        "| class | joint | joint | hr |\n"
        "|---|---|---|---|\n"
        "| unknown | – | – | – |\n"
        "| bed | 0.500 | 0.500 | 0.500 |\n"
        "| books | 0.667 | 0.667 | 0.667 |\n"
        "\nOver seeds (weights with the same training configuration but for the seed):\n\n"
        "| method | runs (seeds) | mIoU mean ± sd | mIoU min–max | pixel acc | PSNR (dB) |\n"
        "|---|---|---|---|---|---|\n"
        "| joint | 2 (1, 2) | 0.583 ± 0.000 | 0.583–0.583 | 0.750 | 22.00 |\n"
        "| hr | 1 (1) | 0.583 ± 0.000 | 0.583–0.583 | 0.750 | – |\n");
}

TEST_CASE("eval report as JSON: one model is its object, several are listed with the groups") {
  EvalReport r = two_seeds_and_hr();
  Json all = Json::parse(printed(print_eval_json, r));
  CHECK(all.at("views").as_int() == 4);
  REQUIRE(all.at("models").size() == 3);
  const Json& hr = all.at("models").items()[2];
  CHECK(hr.at("weights").as_string() == "hr.safetensors");
  CHECK(hr.at("method").as_string() == "hr");
  CHECK(hr.at("sensor").as_string() == "area");
  CHECK(hr.at("miou").as_number() == doctest::Approx(0.58333));
  REQUIRE(all.at("groups").size() == 2);
  CHECK(all.at("groups").items()[0].at("seeds").dump() == "[1,2]");
  CHECK(!all.at("groups").items()[1].has("psnr"));  // hr: no SR image
  r.models.resize(1);
  const std::string one = printed(print_eval_json, r);
  CHECK(one.rfind("{\n  \"miou\": ", 0) == 0);
  CHECK(Json::parse(one).at("weights").as_string() == "a.safetensors");
  CHECK(!Json::parse(one).has("groups"));
}
