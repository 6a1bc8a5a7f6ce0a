#include "privacy/export.h"

#include <algorithm>
#include <cstdio>

#include "engine/error.h"
#include "engine/fileio.h"
#include "engine/image.h"
#include "ops/ops.h"
#include "privacy/sweep.h"

namespace ulr {
namespace {

// Writes each view's frame as DIR/FOLDER/IDENTITY/SPLIT-NNNNN.png and appends its CSV rows.
int64_t write_split(const PersonViewSet& views, int res, const std::string& out, const std::string& folder,
                    const char* split, std::string& csv) {
  const Tensor frames = ulr_frames(views, res);
  for (int64_t i = 0; i < views.size(); ++i) {
    const std::string identity = identity_folder(views.identity[size_t(i)]);
    char name[64];
    std::snprintf(name, sizeof name, "%s-%05lld.png", split, (long long)i);
    const std::string rel = folder + "/" + identity + "/" + name;
    make_dirs(out + "/" + folder + "/" + identity);
    write_png(out + "/" + rel, tensor_to_image(reshape(slice(frames, 0, i, i + 1), {3, res, res})));
    char row[256];
    std::snprintf(row, sizeof row, "%s,%s,%s,%.3f,%d,%d,%llu\n", split, identity.c_str(), rel.c_str(),
                  views.distance[size_t(i)], views.bin(i), int(views.sitting[size_t(i)]),
                  (unsigned long long)views.world_seed[size_t(i)]);
    csv += row;
  }
  return views.size();
}

}  // namespace

std::string identity_folder(int identity) {
  char b[16];
  std::snprintf(b, sizeof b, "person%02d", identity);
  return b;
}

ExportReport export_attack_frames(const ExportOptions& opt) {
  const std::vector<int>& sides = privacy_resolutions();
  if (std::find(sides.begin(), sides.end(), opt.res) == sides.end())
    throw Error("export: resolution " + std::to_string(opt.res) + " is not one of 8, 12, 16, 24, 32, 96");
  if (file_exists(opt.out) && (!is_folder(opt.out) || !list_folder(opt.out).empty()))
    throw Error(opt.out + ": exists and is not an empty folder; export writes a new one");
  const SweepSizes sizes = sweep_sizes(opt.quick);
  PersonViewOptions po;
  po.outfits = opt.outfits;
  po.seed = opt.seed;
  std::string csv = "split,identity,file,distance_m,distance_bin,sitting,world_seed\n";
  ExportReport r;
  make_dirs(opt.out);
  const std::pair<Split, int> train_splits[] = {{Split::Train, sizes.train_per_identity},
                                                {Split::Val, sizes.val_per_identity}};
  for (const auto& [split, per] : train_splits) {
    po.per_identity = per;
    r.train_images += write_split(render_person_views(split, po), opt.res, opt.out, "train", split_name(split), csv);
  }
  po.per_identity = sizes.test_per_identity;
  r.test_images = write_split(render_person_views(Split::Test, po), opt.res, opt.out, "test", "test", csv);
  r.csv = opt.out + "/views.csv";
  write_file_atomic(r.csv, csv.data(), csv.size());
  return r;
}

}  // namespace ulr
