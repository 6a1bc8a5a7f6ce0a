// `ulrseg train`: runs one training configuration (configs/*.json + --set overrides).
#include <cstdio>

#include "apps/args.h"
#include "apps/commands.h"
#include "engine/distributed.h"
#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/json.h"
#include "models/ulrnet.h"
#include "train/trainer.h"

namespace ulr::cli {

static const char* kTrainHelp =
    "usage: ulrseg train --config FILE [--set key=value]... --out DIR [--resume] [--dry-run]\n"
    "                    [--stop-after N] [--threads N] [--seed K]\n\n"
    "Trains one method (joint | fjl1 | mmt1 | hr | pp1 | pp2 | mmt2) as the config says. DIR receives\n"
    "config.json, metrics.jsonl, checkpoint.safetensors and best.safetensors (best validation mIoU).\n"
    "--set overrides any config key (model.KEY for the model), e.g. --set steps=2000.\n"
    "--seed K sets the key seed (after the --set overrides).\n"
    "--dry-run prints the resolved config and each network's parameters and FLOPs per layer.\n"
    "Ctrl-C saves a checkpoint; --resume continues it bit-exactly.\n\n"
    "Config keys (key, default, allowed values, meaning):\n";

static std::string command_line(int argc, char** argv) {
  std::string s = "ulrseg";
  for (int i = 0; i < argc; ++i) s += std::string(" ") + argv[i];
  return s;
}

int cmd_train(int argc, char** argv) {
  Args args(argc, argv, {"--resume", "--dry-run"});
  if (args.help()) {
    std::fputs(kTrainHelp, stdout);
    std::fputs(TrainConfig::keys_help().c_str(), stdout);
    return 0;
  }
  apply_threads(args);
  std::string config_path = args.str("--config", "");
  TrainConfig cfg;
  if (!config_path.empty()) {
    std::vector<unsigned char> bytes = read_file(config_path);
    cfg = TrainConfig::from_json(Json::parse(std::string(bytes.begin(), bytes.end()), config_path), config_path);
  }
  for (const std::string& s : args.all("--set")) cfg.set(s);
  if (args.has("--seed")) cfg.seed = uint64_t(args.integer("--seed", 1, 0, 2147483647));
  bool dry = args.has("--dry-run");
  bool resume = args.has("--resume");
  std::string out = dry ? args.str("--out", "") : args.required("--out");
  long long stop_after = args.integer("--stop-after", -1, 0, 1LL << 40);
  args.finish();

  if (dry) {
    std::printf("%s\n", cfg.to_json().dump(2).c_str());
    ULRNet net(cfg.method, cfg.model, cfg.seed);
    Trace trace;
    NoGrad no_grad;
    Tensor input = cfg.method == Method::Hr ? Tensor::zeros({1, 3, cfg.model.out_h(), cfg.model.out_w()})
                                            : Tensor::zeros({1, 3, cfg.model.in_h, cfg.model.in_w});
    net.forward(input, &trace);
    std::printf("\n%s (%s): %lld parameters, %.1f MFLOP per frame\n%s", "network",
                method_name(cfg.method), (long long)net.num_parameters(), double(trace.total_flops()) / 1e6,
                trace.table().c_str());
    if (cfg.method == Method::Joint && cfg.use_sad) {
      Rng rng(cfg.seed);
      SegAwareDiscriminator d(cfg.model, rng);
      Trace dt;
      d.forward(Tensor::zeros({1, 3, cfg.model.out_h(), cfg.model.out_w()}),
                Tensor::zeros({1, cfg.model.num_classes, cfg.model.out_h(), cfg.model.out_w()}), false, &dt);
      std::printf("\nsegmentation-aware discriminator: %lld parameters, %.1f MFLOP per frame\n%s",
                  (long long)d.params().num_parameters(), double(dt.total_flops()) / 1e6, dt.table().c_str());
    }
    return 0;
  }

  cfg.validate();
  cfg.require_teacher();
  require_ranks_fit(cfg);
  if (resume) checkpoint_to_resume(out);  // fail before minutes of rendering, not after
  // Under mpirun every rank renders the views and sees every batch; rank 0 alone speaks and writes.
  const Collectives& ranks = collectives();
  const bool speaks = ranks.rank() == 0;
  if (speaks)
    std::fprintf(stderr, "rendering %d training and %d validation views...%s\n", cfg.train_views, cfg.val_views,
                 ranks.size() > 1 ? (" (each of " + std::to_string(ranks.size()) + " ranks)").c_str() : "");
  ViewSet train_set = load_views(cfg, "train", cfg.train_views);
  ViewSet val_set = load_views(cfg, "val", cfg.val_views);
  TrainOptions opt;
  opt.out_dir = out;
  opt.resume = resume;
  opt.stop_after = stop_after;
  opt.command = command_line(argc, argv);
  opt.quiet = !speaks;
  TrainResult r = train(cfg, train_set, val_set, opt);
  if (!speaks) return r.interrupted && stop_after < 0 ? 130 : 0;
  std::printf("%s: step %lld, best val mIoU %.4f, %s\n", out.c_str(), (long long)r.steps_done,
              r.best_val_miou, r.interrupted ? "stopped (checkpoint saved; --resume continues)" : "done");
  if (ranks.size() > 1) {
    const CollectiveTraffic t = collective_traffic();
    const double steps = double(std::max<int64_t>(1, r.losses.size()));
    std::fprintf(stderr, "data parallel: %d ranks; gradient exchange %.2f MB received and %.1f ms per step (%.1f %% of the run)\n",
                 ranks.size(), double(t.bytes) / steps / 1e6, t.seconds / steps * 1e3,
                 100.0 * t.seconds / std::max(r.seconds, 1e-9));
  }
  return r.interrupted && stop_after < 0 ? 130 : 0;
}

}  // namespace ulr::cli
