#include "privacy/sweep.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "data/views.h"
#include "engine/error.h"
#include "eval/evaluate.h"
#include "ops/ops.h"
#include "privacy/attack.h"

namespace ulr {
namespace {

using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

struct SettingViews {
  Outfits outfits = Outfits::Fixed;
  PersonViewSet train, val, test;
};

// One input kind (frames at a side, crops, SR outputs) for the three splits.
struct Inputs {
  Tensor train, val, test;
};

struct OurModel {
  std::string path;
  std::unique_ptr<ULRNet> net;
};

class Sweep {
 public:
  explicit Sweep(const SweepOptions& opt) : opt_(opt), sizes_(sweep_sizes(opt.quick)), start_(SteadyClock::now()) {}
  PrivacyReport run();

 private:
  void log(const std::string& line) const;
  void load_models();
  SettingViews render_setting(Outfits outfits) const;
  AttackOptions attack_options(int res) const;
  AttackResult attack(const Inputs& in, const SettingViews& v, int res, const std::string& what,
                      std::unique_ptr<IdentityClassifier>* keep = nullptr) const;
  ResolutionResult attack_resolution(const SettingViews& v, int res, int setting);
  void reconstruct_all(const std::vector<SettingViews>& views, PrivacyReport& report);
  void utility(PrivacyReport& report) const;

  SweepOptions opt_;
  SweepSizes sizes_;
  SteadyClock::time_point start_;
  std::map<int, OurModel> models_;
  // The HR attacks of each setting, kept to attack the reconstructions.
  std::unique_ptr<IdentityClassifier> hr_frame_[2], hr_crop_[2];
};

void Sweep::log(const std::string& line) const {
  if (!opt_.log) return;
  std::fprintf(opt_.log, "[%7.1f s] %s\n", seconds_since(start_), line.c_str());
  std::fflush(opt_.log);
}

void Sweep::load_models() {
  for (const auto& [res, path] : opt_.models) {
    std::unique_ptr<ULRNet> net = ULRNet::load(path);
    const ModelConfig& c = net->config();
    if (c.in_h != res || c.in_w != res)
      throw Error(path + ": takes " + std::to_string(c.in_h) + "x" + std::to_string(c.in_w) +
                  " frames, given as the model for " + std::to_string(res) + "x" + std::to_string(res));
    if (!net->has_g())
      throw Error(path + ": method " + method_name(net->method()) + " has no G; the privacy sweep needs ours (joint)");
    models_[res] = {path, std::move(net)};
  }
}

SettingViews Sweep::render_setting(Outfits outfits) const {
  SettingViews v;
  v.outfits = outfits;
  PersonViewOptions po;
  po.outfits = outfits;
  po.seed = opt_.seed;
  po.per_identity = sizes_.train_per_identity;
  v.train = render_person_views(Split::Train, po);
  po.per_identity = sizes_.val_per_identity;
  v.val = render_person_views(Split::Val, po);
  po.per_identity = sizes_.test_per_identity;
  v.test = render_person_views(Split::Test, po);
  return v;
}

AttackOptions Sweep::attack_options(int res) const {
  AttackOptions a;
  a.classes = kNumIdentities;
  a.epochs = res == kPersonViewSize ? sizes_.hr_epochs : sizes_.epochs;
  a.width = sizes_.width;
  a.seed = opt_.seed;
  return a;
}

AttackResult evaluate_attack(const IdentityClassifier& net, const Tensor& x, const PersonViewSet& test) {
  const Tensor logits = attack_logits(net, x);
  AttackResult r;
  const std::vector<uint8_t> hits = top_k_hits(logits, test.identity, 1);
  r.top1 = accuracy_of(hits);
  r.top5 = accuracy_of(top_k_hits(logits, test.identity, 5));
  std::vector<int> bins;
  for (int64_t i = 0; i < test.size(); ++i) bins.push_back(test.bin(i));
  r.per_bin = accuracy_by_group(hits, bins, kDistanceBins);
  return r;
}

AttackResult Sweep::attack(const Inputs& in, const SettingViews& v, int res, const std::string& what,
                           std::unique_ptr<IdentityClassifier>* keep) const {
  const auto start = SteadyClock::now();
  TrainedAttack trained = train_attack({in.train, v.train.identity}, {in.val, v.val.identity}, attack_options(res));
  AttackResult r = evaluate_attack(*trained.net, in.test, v.test);
  r.val_top1 = trained.val_top1, r.best_epoch = trained.best_epoch;
  r.seconds = seconds_since(start);
  char line[200];
  std::snprintf(line, sizeof line, "%s outfits, %s: top-1 %.3f [%.3f, %.3f], top-5 %.3f (%.1f s)",
                outfits_name(v.outfits), what.c_str(), r.top1.rate(), r.top1.lo(), r.top1.hi(), r.top5.rate(),
                r.seconds);
  log(line);
  if (keep) *keep = std::move(trained.net);
  return r;
}

// G's outputs for frames, batch by batch under NoGrad, clamped to [0,1].
Tensor super_resolve(const ULRNet& net, const Tensor& frames) {
  NoGrad no_grad;
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < frames.size(0); i += 32)
    parts.push_back(clamp(net.to_hr(slice(frames, 0, i, std::min<int64_t>(frames.size(0), i + 32))), 0, 1));
  return concat(parts, 0);
}

Inputs crops_of(const Inputs& frames, const SettingViews& v) {
  return {person_crops(frames.train, v.train), person_crops(frames.val, v.val), person_crops(frames.test, v.test)};
}

ResolutionResult Sweep::attack_resolution(const SettingViews& v, int res, int setting) {
  ResolutionResult r;
  r.res = res;
  const std::string name = resolution_name(res);
  const Inputs frames{ulr_frames(v.train, res), ulr_frames(v.val, res), ulr_frames(v.test, res)};
  const bool hr = res == kPersonViewSize;
  r.frame = attack(frames, v, res, name + " frame", hr ? &hr_frame_[setting] : nullptr);
  r.crop = attack(crops_of(frames, v), v, res, name + " crop", hr ? &hr_crop_[setting] : nullptr);
  auto model = models_.find(res);
  if (model != models_.end()) {
    const ULRNet& net = *model->second.net;
    const Inputs sr{super_resolve(net, frames.train), super_resolve(net, frames.val), super_resolve(net, frames.test)};
    r.has_sr = true;
    r.sr_side = int(sr.test.size(2));
    r.sr_frame = attack(sr, v, res, name + " SR frame", nullptr);
    r.sr_crop = attack(crops_of(sr, v), v, res, name + " SR crop", nullptr);
    r.sr_by_hr_crop = evaluate_attack(*hr_crop_[setting], person_crops(sr.test, v.test), v.test);
  }
  return r;
}

// One G per ULR side, trained on the training views of both settings, tested on each.
void Sweep::reconstruct_all(const std::vector<SettingViews>& views, PrivacyReport& report) {
  ReconstructionOptions ro;
  ro.epochs = sizes_.recon_epochs;
  ro.width = sizes_.recon_width;
  ro.seed = opt_.seed;
  const Tensor hr = concat({views[0].train.hr, views[1].train.hr}, 0);
  for (size_t k = 0; k < privacy_resolutions().size(); ++k) {
    const int res = privacy_resolutions()[k];
    if (res == kPersonViewSize) continue;
    const auto start = SteadyClock::now();
    const Tensor ulr = concat({ulr_frames(views[0].train, res), ulr_frames(views[1].train, res)}, 0);
    std::unique_ptr<ReconstructionNet> g = train_reconstruction(ulr, hr, ro);
    for (size_t s = 0; s < views.size(); ++s) {
      const PersonViewSet& test = views[s].test;
      const Tensor pred = reconstruct(*g, ulr_frames(test, res));
      ResolutionResult& r = report.settings[s].resolutions[k];
      r.has_reconstruction = true;
      r.reconstruction.quality = reconstruction_quality(pred, test);
      r.reconstruction.identity_frame = evaluate_attack(*hr_frame_[s], pred, test);
      r.reconstruction.identity_crop = evaluate_attack(*hr_crop_[s], person_crops(pred, test), test);
    }
    const double seconds = seconds_since(start);
    for (SettingResult& s : report.settings) s.resolutions[k].reconstruction.seconds = seconds;
    const ResolutionResult& fixed = report.settings[0].resolutions[k];
    char line[200];
    std::snprintf(line, sizeof line,
                  "reconstruction from %s: PSNR %.2f dB, on the person %.2f dB; HR crop attack on it %.3f (%.1f s)",
                  resolution_name(res).c_str(), fixed.reconstruction.quality.psnr,
                  fixed.reconstruction.quality.psnr_person, fixed.reconstruction.identity_crop.top1.rate(), seconds);
    log(line);
  }
}

void Sweep::utility(PrivacyReport& report) const {
  for (const auto& [res, model] : models_) {
    const ModelConfig& c = model.net->config();
    const ViewSet views = load_view_set("synthetic", opt_.seed, "test", sizes_.miou_views, c.out_h(), c.out_w());
    SensorOptions sensor;
    sensor.out_h = c.in_h, sensor.out_w = c.in_w;
    const EvalResult e = evaluate_model(*model.net, views, sensor);
    report.utility.push_back({res, model.path, e.cm.miou(), e.cm.pixel_accuracy(), views.size()});
    char line[200];
    std::snprintf(line, sizeof line, "utility of %s: mIoU %.4f on %lld synthetic test views", model.path.c_str(),
                  e.cm.miou(), (long long)views.size());
    log(line);
  }
}

PrivacyReport Sweep::run() {
  load_models();  // before anything is rendered: a bad file fails at once
  PrivacyReport report;
  report.quick = opt_.quick, report.seed = opt_.seed, report.sizes = sizes_;
  std::vector<SettingViews> views;
  const auto render_start = SteadyClock::now();
  for (Outfits o : {Outfits::Fixed, Outfits::PerView}) views.push_back(render_setting(o));
  report.render_seconds = seconds_since(render_start);
  report.train_views = views[0].train.size(), report.val_views = views[0].val.size();
  report.test_views = views[0].test.size();
  log("rendered " + std::to_string(2 * (report.train_views + report.val_views + report.test_views)) +
      " person views (" + std::to_string(report.train_views) + " train, " + std::to_string(report.val_views) +
      " val, " + std::to_string(report.test_views) + " test per outfit setting)");
  for (size_t s = 0; s < views.size(); ++s) {
    SettingResult setting;
    setting.outfits = views[s].outfits;
    // From HR down: the HR attacks are kept for the reconstructions.
    setting.resolutions.resize(privacy_resolutions().size());
    for (size_t k = privacy_resolutions().size(); k-- > 0;)
      setting.resolutions[k] = attack_resolution(views[s], privacy_resolutions()[k], int(s));
    report.settings.push_back(std::move(setting));
  }
  reconstruct_all(views, report);
  utility(report);
  report.total_seconds = seconds_since(start_);
  log("done");
  return report;
}

}  // namespace

const std::vector<int>& privacy_resolutions() {
  static const std::vector<int> r = {8, 12, 16, 24, 32, kPersonViewSize};
  return r;
}

std::string resolution_name(int res) {
  const std::string side = std::to_string(res) + "x" + std::to_string(res);
  return res == kPersonViewSize ? "HR " + side : side;
}

SweepSizes sweep_sizes(bool quick) {
  if (quick) return {16, 4, 10, 6, 6, 16, 1, 16, 50};
  return {100, 10, 50, 20, 40, 32, 3, 24, 300};
}

int policy_bin(const ResolutionResult& r, double chance) {
  int bin = std::max(r.frame.protected_bin(chance), r.crop.protected_bin(chance));
  if (r.has_sr)
    bin = std::max({bin, r.sr_frame.protected_bin(chance), r.sr_crop.protected_bin(chance),
                    r.sr_by_hr_crop.protected_bin(chance)});
  if (r.has_reconstruction)
    bin = std::max({bin, r.reconstruction.identity_frame.protected_bin(chance),
                    r.reconstruction.identity_crop.protected_bin(chance)});
  return bin;
}

const UtilityResult* PrivacyReport::utility_at(int res) const {
  for (const UtilityResult& u : utility)
    if (u.res == res) return &u;
  return nullptr;
}

PrivacyReport run_privacy_sweep(const SweepOptions& options) { return Sweep(options).run(); }

PrivacyHeadline run_privacy_headline(uint64_t seed) {
  const auto start = SteadyClock::now();
  PersonViewOptions po;
  po.seed = seed;
  po.per_identity = 30;
  const PersonViewSet train = render_person_views(Split::Train, po);
  po.per_identity = 3;
  const PersonViewSet val = render_person_views(Split::Val, po);
  po.per_identity = 10;
  const PersonViewSet test = render_person_views(Split::Test, po);
  AttackOptions a;
  a.classes = kNumIdentities, a.epochs = 8, a.width = 16, a.seed = seed;
  const int res = 16;
  TrainedAttack t = train_attack({person_crops(ulr_frames(train, res), train), train.identity},
                                 {person_crops(ulr_frames(val, res), val), val.identity}, a);
  const AttackResult r = evaluate_attack(*t.net, person_crops(ulr_frames(test, res), test), test);
  PrivacyHeadline h;
  h.near = r.per_bin.front(), h.far = r.per_bin.back();
  h.chance = chance_accuracy(kNumIdentities);
  h.seconds = seconds_since(start);
  return h;
}

}  // namespace ulr
