#include "adapter/deliver/json_peek.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace adapter::deliver {
namespace {

// SAX handler that stops the parse (by returning false) once the member is found.
class TopLevelString : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TopLevelString> {
 public:
  explicit TopLevelString(std::string_view key) : key_(key) {}
  std::string value;

  bool StartObject() { return ++depth_ > 0; }
  bool EndObject(rapidjson::SizeType) { return --depth_ >= 0; }
  bool StartArray() { return depth_ > 0 && ++depth_ > 0; }  // a top-level array: not an object
  bool EndArray(rapidjson::SizeType) { return --depth_ >= 0; }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    wanted_next_ = depth_ == 1 && std::string_view(text, length) == key_;
    return true;
  }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    if (wanted_next_) {
      value.assign(text, length);
      return false;
    }
    return depth_ > 0;
  }
  bool Default() {
    if (wanted_next_) return false;  // present, but not a string
    return depth_ > 0;
  }

 private:
  std::string_view key_;
  int depth_ = 0;
  bool wanted_next_ = false;
};

}  // namespace

std::string peek_top_level_string(std::string_view json, std::string_view key) {
  TopLevelString handler(key);
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(json.data(), json.size());
  reader.Parse(stream, handler);
  return handler.value;
}

}  // namespace adapter::deliver
