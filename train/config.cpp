#include "train/config.h"

#include "engine/error.h"

namespace ulr {

Json TrainConfig::to_json() const {
  Json j = Json::object();
  j.set("method", method_name(method)).set("model", model.to_json());
  j.set("data", data).set("data_seed", int64_t(data_seed)).set("seed", int64_t(seed)).set("train_views", train_views);
  j.set("val_views", val_views).set("sensor", sensor).set("sensor_noise", double(sensor_noise));
  j.set("augment", augment).set("batch", batch).set("stage1_steps", stage1_steps);
  j.set("steps", steps).set("lr", double(lr)).set("lr_d", double(lr_d));
  j.set("g_lr_scale", double(g_lr_scale));
  j.set("weight_decay", double(weight_decay)).set("beta1", double(beta1)).set("beta2", double(beta2));
  j.set("clip_norm", double(clip_norm)).set("warmup", warmup).set("schedule", schedule);
  j.set("eval_every", eval_every).set("lambda_mse", double(lambda_mse));
  j.set("lambda_fea", double(lambda_fea)).set("lambda_adv", double(lambda_adv));
  j.set("alpha", double(alpha)).set("use_afe", use_afe).set("use_sad", use_sad);
  j.set("sad_real_tau", double(sad_real_tau)).set("sad_fake", sad_fake).set("teacher", teacher);
  return j;
}

namespace {
struct Reader {
  const std::string& label;
  std::string key;
  [[noreturn]] void bad(const std::string& what) const { throw Error(label + ": " + key + ": " + what); }
  int integer(const Json& v, int lo, int hi) const {
    if (!v.is_number() || v.as_number() != double(int64_t(v.as_number()))) bad("expected an integer");
    int64_t x = v.as_int();
    if (x < lo || x > hi) bad(std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return int(x);
  }
  float number(const Json& v, double lo, double hi) const {
    if (!v.is_number()) bad("expected a number");
    double x = v.as_number();
    if (!(x >= lo && x <= hi)) bad("value out of range");
    return float(x);
  }
  bool boolean(const Json& v) const {
    if (!v.is_bool()) bad("expected true or false");
    return v.as_bool();
  }
  std::string string(const Json& v) const {
    if (!v.is_string()) bad("expected a string");
    return v.as_string();
  }
};
}  // namespace

Json TrainConfig::canonical(const std::string& text, const std::string& label) {
  return from_json(Json::parse(text, label), label).to_json();
}

TrainConfig TrainConfig::from_json(const Json& j, const std::string& label) {
  if (!j.is_object()) throw Error(label + ": config must be a JSON object");
  TrainConfig c;
  for (auto& [key, v] : j.members()) {
    Reader r{label, key};
    if (key == "method") c.method = parse_method(r.string(v), label);
    else if (key == "model") c.model = ModelConfig::from_json(v, label);
    else if (key == "data") c.data = r.string(v);
    else if (key == "seed") c.seed = uint64_t(r.integer(v, 0, 2147483647));
    else if (key == "data_seed") c.data_seed = uint64_t(r.integer(v, 0, 2147483647));
    else if (key == "train_views") c.train_views = r.integer(v, 1, 10000000);
    else if (key == "val_views") c.val_views = r.integer(v, 1, 1000000);
    else if (key == "sensor") {
      c.sensor = r.string(v);
      if (c.sensor != "area" && c.sensor != "bicubic") r.bad("expected area or bicubic");
    } else if (key == "sensor_noise") c.sensor_noise = r.number(v, 0, 1);
    else if (key == "augment") c.augment = r.boolean(v);
    else if (key == "batch") c.batch = r.integer(v, 1, 4096);
    else if (key == "stage1_steps") c.stage1_steps = r.integer(v, 0, 100000000);
    else if (key == "steps") c.steps = r.integer(v, 0, 100000000);
    else if (key == "lr") c.lr = r.number(v, 0, 10);
    else if (key == "lr_d") c.lr_d = r.number(v, 0, 10);
    else if (key == "g_lr_scale") c.g_lr_scale = r.number(v, 0, 100);
    else if (key == "weight_decay") c.weight_decay = r.number(v, 0, 10);
    else if (key == "beta1") c.beta1 = r.number(v, 0, 0.999999);
    else if (key == "beta2") c.beta2 = r.number(v, 0, 0.999999999);
    else if (key == "clip_norm") c.clip_norm = r.number(v, 0, 1e9);
    else if (key == "warmup") c.warmup = r.integer(v, 0, 100000000);
    else if (key == "schedule") {
      c.schedule = r.string(v);
      if (c.schedule != "cosine" && c.schedule != "constant") r.bad("expected cosine or constant");
    } else if (key == "eval_every") c.eval_every = r.integer(v, 1, 100000000);
    else if (key == "lambda_mse") c.lambda_mse = r.number(v, 0, 1e6);
    else if (key == "lambda_fea") c.lambda_fea = r.number(v, 0, 1e6);
    else if (key == "lambda_adv") c.lambda_adv = r.number(v, 0, 1e6);
    else if (key == "alpha") c.alpha = r.number(v, 0, 1);
    else if (key == "use_afe") c.use_afe = r.boolean(v);
    else if (key == "use_sad") c.use_sad = r.boolean(v);
    else if (key == "sad_real_tau") c.sad_real_tau = r.number(v, 0, 1);
    else if (key == "sad_fake") {
      c.sad_fake = r.string(v);
      if (c.sad_fake != "soft" && c.sad_fake != "hard") r.bad("expected soft or hard");
    } else if (key == "teacher") c.teacher = r.string(v);
    else throw Error(label + ": unknown key '" + key + "'");
  }
  c.validate();
  return c;
}

void TrainConfig::set(const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("--set: expected key=value, got '" + assignment + "'");
  std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  Json value;
  try {
    value = Json::parse(text, "--set " + key);
  } catch (const Error&) {
    value = Json(text);  // a bare word is a string
  }
  Json j = to_json();
  if (key.rfind("model.", 0) == 0) {
    Json model = j.at("model");
    std::string sub = key.substr(6);
    if (!model.has(sub)) throw UsageError("--set: unknown key '" + key + "'");
    model.set(sub, value);
    j.set("model", model);
  } else {
    if (!j.has(key)) throw UsageError("--set: unknown key '" + key + "'");
    j.set(key, value);
  }
  *this = from_json(j, "--set " + key);
}

void TrainConfig::require_teacher() const {
  if (uses_feature_loss() && teacher.empty())
    throw Error("config: teacher: the joint method's feature loss needs the weights of an 'hr' run "
                "(set teacher=PATH, or use_afe=false)");
}

SensorOptions TrainConfig::sensor_options(bool with_noise) const {
  SensorOptions s;
  s.mode = parse_sensor_mode(sensor);
  s.out_h = model.in_h, s.out_w = model.in_w;
  s.noise_sigma = with_noise ? sensor_noise : 0.0f;
  s.quantize = true;
  return s;
}

void TrainConfig::validate() const {
  model.validate("config");
  if (train_views < batch)
    throw Error("config: train_views (" + std::to_string(train_views) + ") must be at least batch (" +
                std::to_string(batch) + ")");
}

}  // namespace ulr
