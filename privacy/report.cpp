#include "privacy/report.h"

#include <algorithm>
#include <cmath>

#include "engine/fileio.h"
#include "eval/plot.h"

namespace ulr {
namespace {

const char* setting_title(Outfits o) {
  return o == Outfits::Fixed ? "fixed outfits (re-identification within one day)"
                             : "outfits drawn anew per view (identity across days)";
}

Json pair_json(double a, double b) {
  Json j = Json::array();
  j.push(a).push(b);
  return j;
}

Json protected_json(int bin) { return bin >= kDistanceBins ? Json() : Json(double(distance_bin_lo(bin))); }

Json attack_json(const AttackResult& a, double chance, double chance_top5) {
  Json j = Json::object();
  j.set("identity_top1", a.top1.rate()).set("identity_top5", a.top5.rate());
  j.set("chance", chance).set("chance_top5", chance_top5);
  j.set("ci95", pair_json(a.top1.lo(), a.top1.hi())).set("ci95_top5", pair_json(a.top5.lo(), a.top5.hi()));
  j.set("hits", a.top1.hits).set("views", a.top1.n);
  Json bins = Json::array();
  for (int b = 0; b < kDistanceBins; ++b) {
    const Accuracy& acc = a.per_bin[size_t(b)];
    Json e = Json::object();
    e.set("distance_m", pair_json(distance_bin_lo(b), distance_bin_hi(b)));
    e.set("identity_top1", acc.rate()).set("ci95", pair_json(acc.lo(), acc.hi())).set("views", acc.n);
    bins.push(e);
  }
  j.set("per_distance", bins).set("protected_beyond_m", protected_json(a.protected_bin(chance)));
  j.set("val_top1", a.val_top1).set("best_epoch", a.best_epoch).set("seconds", a.seconds);
  return j;
}

std::string pct(double v) {
  char b[16];
  std::snprintf(b, sizeof b, "%.1f", 100 * v);
  return b;
}

std::string with_ci(const Accuracy& a) {
  return pct(a.rate()) + " (" + pct(a.lo()) + "-" + pct(a.hi()) + ")";
}

std::string fixed2(double v) {
  char b[16];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

}  // namespace

std::string protected_text(int bin) {
  if (bin >= kDistanceBins) return "> " + std::to_string(int(distance_bin_hi(kDistanceBins - 1))) + " m";
  return std::to_string(int(distance_bin_lo(bin))) + " m";
}

Json privacy_json(const PrivacyReport& r) {
  Json j = Json::object();
  j.set("quick", r.quick).set("seed", int64_t(r.seed)).set("identities", kNumIdentities);
  j.set("chance", r.chance()).set("chance_top5", r.chance_top5()).set("hr_size", kPersonViewSize);
  Json bins = Json::array();
  for (int b = 0; b < kDistanceBins; ++b) bins.push(pair_json(distance_bin_lo(b), distance_bin_hi(b)));
  j.set("distance_bins_m", bins);
  Json views = Json::object();
  views.set("train", r.train_views).set("val", r.val_views).set("test", r.test_views);
  j.set("views_per_setting", views).set("policy_margin", kPolicyMargin);
  Json training = Json::object();
  training.set("attack_epochs", r.sizes.epochs).set("hr_attack_epochs", r.sizes.hr_epochs);
  training.set("attack_width", r.sizes.width).set("reconstruction_epochs", r.sizes.recon_epochs);
  training.set("reconstruction_width", r.sizes.recon_width);
  j.set("training", training);
  Json settings = Json::array();
  for (const SettingResult& s : r.settings) {
    Json sj = Json::object();
    sj.set("outfits", outfits_name(s.outfits));
    Json rows = Json::array(), policy = Json::array();
    for (const ResolutionResult& res : s.resolutions) {
      Json row = attack_json(res.frame, r.chance(), r.chance_top5());
      row.set("resolution", res.res).set("name", resolution_name(res.res));
      row.set("crop", attack_json(res.crop, r.chance(), r.chance_top5()));
      if (res.has_sr) {
        Json sr = Json::object();
        sr.set("side", res.sr_side).set("frame", attack_json(res.sr_frame, r.chance(), r.chance_top5()));
        sr.set("crop", attack_json(res.sr_crop, r.chance(), r.chance_top5()));
        sr.set("hr_crop_attack", attack_json(res.sr_by_hr_crop, r.chance(), r.chance_top5()));
        row.set("sr", sr);
      }
      if (res.has_reconstruction) {
        const ReconstructionResult& rec = res.reconstruction;
        row.set("reconstruction_psnr", rec.quality.psnr).set("reconstruction_ssim", rec.quality.ssim);
        row.set("reconstruction_psnr_person", rec.quality.psnr_person);
        row.set("reconstruction_ssim_person", rec.quality.ssim_person);
        row.set("reconstruction_identity_top1", rec.identity_crop.top1.rate());
        row.set("reconstruction_identity_ci95", pair_json(rec.identity_crop.top1.lo(), rec.identity_crop.top1.hi()));
        Json attacks = Json::object();
        attacks.set("hr_crop_attack", attack_json(rec.identity_crop, r.chance(), r.chance_top5()));
        attacks.set("hr_frame_attack", attack_json(rec.identity_frame, r.chance(), r.chance_top5()));
        row.set("reconstruction_attacks", attacks);
        row.set("reconstruction_seconds", rec.seconds);
      }
      if (const UtilityResult* u = r.utility_at(res.res)) row.set("miou", u->miou);
      rows.push(row);
      Json p = Json::object();
      p.set("resolution", res.res).set("protected_beyond_m", protected_json(policy_bin(res, r.chance())));
      policy.push(p);
    }
    sj.set("resolutions", rows).set("policy", policy);
    settings.push(sj);
  }
  j.set("settings", settings);
  Json utility = Json::array();
  for (const UtilityResult& u : r.utility) {
    Json e = Json::object();
    e.set("resolution", u.res).set("weights", u.weights).set("miou", u.miou);
    e.set("pixel_acc", u.pixel_accuracy).set("views", u.views);
    utility.push(e);
  }
  j.set("utility", utility);
  Json seconds = Json::object();
  seconds.set("render", r.render_seconds).set("total", r.total_seconds);
  j.set("seconds", seconds);
  return j;
}

void print_privacy_text(const PrivacyReport& r, FILE* out) {
  std::fprintf(out,
               "privacy sweep%s: %d identities (chance: top-1 %s %%, top-5 %s %%), person views %dx%d, "
               "%lld train / %lld val / %lld test views per setting\n",
               r.quick ? " (quick)" : "", kNumIdentities, pct(r.chance()).c_str(), pct(r.chance_top5()).c_str(),
               kPersonViewSize, kPersonViewSize, (long long)r.train_views, (long long)r.val_views,
               (long long)r.test_views);
  for (const SettingResult& s : r.settings) {
    std::fprintf(out, "\n%s: identity top-1 %% (95 %% interval)\n", setting_title(s.outfits));
    std::fprintf(out, "  %-9s %-19s %-19s %-31s %-7s %-12s %s\n", "input", "frame", "crop",
                 "crop by distance: 1-2 ... 5-6 m", "safe", "recon dB", "recon ID");
    for (const ResolutionResult& res : s.resolutions) {
      std::string bins;
      for (const Accuracy& a : res.crop.per_bin) bins += pct(a.rate()) + " ";
      std::string recon = "-", recon_id = "-";
      if (res.has_reconstruction) {
        recon = fixed2(res.reconstruction.quality.psnr) + "/" + fixed2(res.reconstruction.quality.psnr_person);
        recon_id = pct(res.reconstruction.identity_crop.top1.rate());
      }
      std::fprintf(out, "  %-9s %-19s %-19s %-31s %-7s %-12s %s\n", resolution_name(res.res).c_str(),
                   with_ci(res.frame.top1).c_str(), with_ci(res.crop.top1).c_str(), bins.c_str(),
                   protected_text(policy_bin(res, r.chance())).c_str(), recon.c_str(), recon_id.c_str());
      if (res.has_sr)
        std::fprintf(out, "  %-9s %-19s %-19s (G's %dx%d output; the HR crop attack on it: %s)\n",
                     ("SR " + std::to_string(res.res)).c_str(), with_ci(res.sr_frame.top1).c_str(),
                     with_ci(res.sr_crop.top1).c_str(), res.sr_side, res.sr_side,
                     with_ci(res.sr_by_hr_crop.top1).c_str());
    }
  }
  std::fprintf(out, "\nsafe: the distance from which on no attack beats chance + 5 points (lower 95 %% bound)\n");
  for (const UtilityResult& u : r.utility)
    std::fprintf(out, "utility: %dx%d, %s: mIoU %.4f on %lld synthetic test views\n", u.res, u.res,
                 u.weights.c_str(), u.miou, (long long)u.views);
  std::fprintf(out, "elapsed: %.1f s (rendering %.1f s)\n", r.total_seconds, r.render_seconds);
}

void print_privacy_markdown(const PrivacyReport& r, FILE* out) {
  std::fprintf(out, "Identity top-1 %% of %d identities (chance %s %%, top-5 chance %s %%), 95 %% Wilson "
                    "intervals in brackets; %lld test views per setting (%lld per distance bin).\n",
               kNumIdentities, pct(r.chance()).c_str(), pct(r.chance_top5()).c_str(), (long long)r.test_views,
               (long long)(r.test_views / kDistanceBins));
  for (const SettingResult& s : r.settings) {
    std::fprintf(out, "\n### %s\n\n", setting_title(s.outfits));
    std::fprintf(out, "| input | frame top-1 | frame top-5 | crop top-1 | crop top-5 | G's output: crop attack / HR crop attack | "
                      "reconstruction PSNR, whole / person (dB) | HR crop attack on reconstruction | mIoU |\n");
    std::fprintf(out, "|---|---|---|---|---|---|---|---|---|\n");
    for (const ResolutionResult& res : s.resolutions) {
      const UtilityResult* u = r.utility_at(res.res);
      std::fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", resolution_name(res.res).c_str(),
                   with_ci(res.frame.top1).c_str(), pct(res.frame.top5.rate()).c_str(),
                   with_ci(res.crop.top1).c_str(), pct(res.crop.top5.rate()).c_str(),
                   res.has_sr ? (with_ci(res.sr_crop.top1) + " / " + with_ci(res.sr_by_hr_crop.top1)).c_str() : "",
                   res.has_reconstruction ? (fixed2(res.reconstruction.quality.psnr) + " / " +
                                             fixed2(res.reconstruction.quality.psnr_person)).c_str()
                                          : "",
                   res.has_reconstruction ? with_ci(res.reconstruction.identity_crop.top1).c_str() : "",
                   u ? fixed2(u->miou).c_str() : "");
    }
    std::fprintf(out, "\nBy distance (top-1 %%): the crop and frame attacks, the HR crop attack on the "
                      "reconstruction, and the crop attack trained on G's output:\n\n| input | attack |");
    for (int b = 0; b < kDistanceBins; ++b) std::fprintf(out, " %s |", distance_bin_name(b).c_str());
    std::fprintf(out, " no better than chance from |\n|---|---|");
    for (int b = 0; b < kDistanceBins; ++b) std::fprintf(out, "---|");
    std::fprintf(out, "---|\n");
    for (const ResolutionResult& res : s.resolutions) {
      std::vector<std::pair<const char*, const AttackResult*>> rows = {{"crop", &res.crop}, {"frame", &res.frame}};
      if (res.has_reconstruction) rows.push_back({"reconstruction", &res.reconstruction.identity_crop});
      if (res.has_sr) rows.push_back({"SR crop", &res.sr_crop});
      for (const auto& [name, a] : rows) {
        std::fprintf(out, "| %s | %s |", resolution_name(res.res).c_str(), name);
        for (const Accuracy& acc : a->per_bin) std::fprintf(out, " %s |", with_ci(acc).c_str());
        std::fprintf(out, " %s |\n", protected_text(a->protected_bin(r.chance())).c_str());
      }
    }
  }
  std::fprintf(out, "\n### Policy: distance from which identity is no better than chance\n\n"
                    "The lower 95 %% bound of every attack (frame, crop, the HR attacks on the reconstruction, and "
                    "those on G's output where a model exists) at most chance + %.0f points in that bin and "
                    "every farther one.\n\n"
                    "| input | fixed outfits | outfits drawn anew |\n|---|---|---|\n",
               100 * kPolicyMargin);
  for (size_t k = 0; k < privacy_resolutions().size() && r.settings.size() == 2; ++k)
    std::fprintf(out, "| %s | %s | %s |\n", resolution_name(privacy_resolutions()[k]).c_str(),
                 protected_text(policy_bin(r.settings[0].resolutions[k], r.chance())).c_str(),
                 protected_text(policy_bin(r.settings[1].resolutions[k], r.chance())).c_str());
  if (!r.utility.empty()) {
    std::fprintf(out, "\n### Utility against leakage\n\n| input | model | mIoU | crop top-1, fixed outfits | "
                      "crop top-1, outfits anew |\n|---|---|---|---|---|\n");
    for (const UtilityResult& u : r.utility) {
      std::string leak[2];
      for (size_t s = 0; s < r.settings.size() && s < 2; ++s)
        for (const ResolutionResult& res : r.settings[s].resolutions)
          if (res.res == u.res) leak[s] = with_ci(res.crop.top1);
      std::fprintf(out, "| %s | `%s` | %.4f | %s | %s |\n", resolution_name(u.res).c_str(), u.weights.c_str(),
                   u.miou, leak[0].c_str(), leak[1].c_str());
    }
  }
  std::fprintf(out, "\nElapsed: %.0f s in all, %.0f s of it rendering.\n", r.total_seconds, r.render_seconds);
}

std::vector<std::string> write_privacy_plots(const PrivacyReport& r, const std::string& dir) {
  make_dirs(dir);
  std::vector<std::string> written;
  auto save = [&](const std::string& name, const Plot& plot) {
    const std::string path = dir + "/" + name, svg = plot_svg(plot);
    write_file_atomic(path, svg.data(), svg.size());
    written.push_back(path);
  };
  const std::vector<int>& sides = privacy_resolutions();
  const std::pair<double, std::string> chance_line = {r.chance(), "chance " + pct(r.chance()) + " %"};
  {
    Plot p;
    p.title = "Identity top-1 against resolution (95 % intervals)";
    p.x.label = "input resolution";
    p.x.min = -0.3, p.x.max = double(sides.size()) - 0.7;
    for (size_t k = 0; k < sides.size(); ++k)
      p.x.ticks.push_back({double(k), sides[k] == kPersonViewSize ? "HR 96" : std::to_string(sides[k])});
    p.y.label = "identity top-1";
    p.reference_lines.push_back(chance_line);
    for (const SettingResult& s : r.settings)
      for (bool crop : {true, false}) {
        PlotSeries ser;
        ser.label = std::string(crop ? "crop, " : "frame, ") + (s.outfits == Outfits::Fixed ? "fixed" : "new") +
                    " outfits";
        ser.dashed = s.outfits == Outfits::PerView;
        for (size_t k = 0; k < s.resolutions.size(); ++k) {
          const Accuracy& a = crop ? s.resolutions[k].crop.top1 : s.resolutions[k].frame.top1;
          ser.x.push_back(double(k)), ser.y.push_back(a.rate());
          ser.y_lo.push_back(a.lo()), ser.y_hi.push_back(a.hi());
        }
        p.series.push_back(ser);
      }
    save("accuracy_vs_resolution.svg", p);
  }
  for (const SettingResult& s : r.settings) {
    Plot p;
    p.title = std::string("Crop attack top-1 against distance, ") +
              (s.outfits == Outfits::Fixed ? "fixed outfits" : "outfits drawn anew");
    p.x.label = "distance from the camera (m)";
    p.x.min = distance_bin_lo(0), p.x.max = distance_bin_hi(kDistanceBins - 1);
    for (int b = 0; b <= kDistanceBins; ++b) p.x.ticks.push_back({distance_bin_lo(b), std::to_string(int(distance_bin_lo(b)))});
    p.y.label = "identity top-1";
    p.reference_lines.push_back(chance_line);
    for (const ResolutionResult& res : s.resolutions) {
      PlotSeries ser;
      ser.label = resolution_name(res.res);
      for (int b = 0; b < kDistanceBins; ++b) {
        const Accuracy& a = res.crop.per_bin[size_t(b)];
        ser.x.push_back(0.5 * (distance_bin_lo(b) + distance_bin_hi(b))), ser.y.push_back(a.rate());
      }
      p.series.push_back(ser);
    }
    save(std::string("accuracy_vs_distance_") + outfits_name(s.outfits) + ".svg", p);
  }
  {
    Plot p;
    p.title = "Utility (mIoU of ours) against leakage (crop attack top-1)";
    p.x.label = "identity top-1 of the crop attack";
    p.y.label = "segmentation mIoU";
    p.y.min = 0, p.y.max = 0.6;
    p.x.min = 0, p.x.max = 1;
    for (const SettingResult& s : r.settings) {
      PlotSeries ser;
      ser.label = s.outfits == Outfits::Fixed ? "fixed outfits" : "outfits drawn anew";
      ser.lines = r.utility.size() > 1;
      for (const UtilityResult& u : r.utility)
        for (const ResolutionResult& res : s.resolutions)
          if (res.res == u.res) {
            ser.x.push_back(res.crop.top1.rate()), ser.y.push_back(u.miou);
            ser.point_labels.push_back(resolution_name(u.res));
          }
      p.series.push_back(ser);
    }
    save("utility_vs_leakage.svg", p);
  }
  return written;
}

}  // namespace ulr
