#include "cli/Args.h"

#include "core/Error.h"

namespace ckrr {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
           const std::set<std::string>& flags, const std::map<std::string, std::string>& aliases,
           bool stop_at_first_positional) {
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (a == "--") {
      positional_.insert(positional_.end(), argv.begin() + i + 1, argv.end());
      return;
    }
    if (a.size() > 1 && a[0] == '-') {
      std::string value;
      bool inline_value = false;
      if (a.rfind("--", 0) == 0) {
        size_t eq = a.find('=');
        if (eq != std::string::npos) {
          value = a.substr(eq + 1);
          a = a.substr(0, eq);
          inline_value = true;
        }
      }
      auto al = aliases.find(a);
      if (al != aliases.end()) a = al->second;
      if (value_options.count(a)) {
        if (!inline_value) {
          if (i + 1 >= argv.size()) throw Error("option " + a + " needs a value");
          value = argv[++i];
        }
        values_[a] = value;
        all_values_[a].push_back(value);
      } else if (flags.count(a)) {
        if (inline_value) throw Error("option " + a + " takes no value");
        values_[a] = "";
      } else {
        throw Error("unknown option " + argv[i] + " (see --help)");
      }
      continue;
    }
    positional_.push_back(a);
    if (stop_at_first_positional) {
      positional_.insert(positional_.end(), argv.begin() + i + 1, argv.end());
      return;
    }
  }
}

std::optional<std::string> Args::get(const std::string& opt) const {
  auto it = values_.find(opt);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::get_all(const std::string& opt) const {
  auto it = all_values_.find(opt);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<uint64_t> Args::get_uint(const std::string& opt) const {
  auto v = get(opt);
  if (!v) return std::nullopt;
  if (v->empty() || v->find_first_not_of("0123456789") != std::string::npos || v->size() > 19)
    throw Error(opt + " needs a non-negative integer, not '" + *v + "'");
  return std::stoull(*v);
}

}  // namespace ckrr
