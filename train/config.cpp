#include "train/config.h"

#include "engine/error.h"

namespace ulr {

Json TrainConfig::to_json() const { return fields_to_json(kTrainFields, *this); }

Json TrainConfig::canonical(const std::string& text, const std::string& label) {
  return from_json(Json::parse(text, label), label).to_json();
}

TrainConfig TrainConfig::from_json(const Json& j, const std::string& label) {
  if (!j.is_object()) throw Error(label + ": config must be a JSON object");
  TrainConfig c;
  fields_from_json(kTrainFields, j, label, "", c);
  c.validate(label);
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
    std::string sub = key.substr(6);
    if (!find_field(kModelFields, sub)) throw UsageError("--set: unknown key '" + key + "'");
    Json model = j.at("model");
    model.set(sub, value);
    j.set("model", model);
  } else {
    if (!find_field(kTrainFields, key)) throw UsageError("--set: unknown key '" + key + "'");
    j.set(key, value);
  }
  try {
    *this = from_json(j, "--set");
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(e.what());  // a bad value on the command line is a usage error
  }
}

std::string TrainConfig::keys_help() {
  std::vector<KeyHelp> rows;
  add_key_help<TrainConfig>(kTrainFields, "", rows);
  add_key_help<ModelConfig>(kModelFields, "model.", rows);
  return format_key_help(rows);
}

void TrainConfig::require_teacher() const {
  if (uses_feature_loss() && teacher.empty())
    throw Error("config: teacher: the joint method's feature loss needs the weights of an 'hr' run "
                "(set teacher=PATH, or use_afe=false)");
  if (method_uses_hr_segmenter(method) && teacher.empty())
    throw Error(std::string("config: teacher: method ") + method_name(method) +
                " takes its S from the weights of an 'hr' run (set teacher=PATH)");
}

SensorOptions TrainConfig::sensor_options(bool with_noise) const {
  SensorOptions s;
  s.mode = sensor;
  s.out_h = model.in_h, s.out_w = model.in_w;
  s.noise_sigma = with_noise ? sensor_noise : 0.0f;
  s.quantize = true;
  return s;
}

void TrainConfig::validate(const std::string& label) const {
  check_fields(kTrainFields, *this, label, "");  // the model's keys too
  if (train_views < batch)
    throw Error(label + ": train_views (" + std::to_string(train_views) + ") must be at least batch (" +
                std::to_string(batch) + ")");
  if (micro_batches > batch)
    throw Error(label + ": micro_batches (" + std::to_string(micro_batches) + ") must be at most batch (" +
                std::to_string(batch) + ")");
  if (method == Method::Pp1 && (steps != 0 || stage1_steps != 0))
    throw Error(label + ": method pp1 trains nothing: steps and stage1_steps must be 0 (got " +
                std::to_string(stage1_steps) + " and " + std::to_string(steps) + ")");
}

}  // namespace ulr
