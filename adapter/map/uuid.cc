#include "adapter/map/uuid.h"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace adapter::map {

Uuid url_namespace() {
  return *parse_uuid("6ba7b811-9dad-11d1-80b4-00c04fd430c8");
}

std::optional<Uuid> parse_uuid(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Uuid uuid{};
  std::size_t byte = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int pair = 0;
    for (int k = 0; k < 2; ++k, ++i) {
      const char c = text[i];
      int digit = 0;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return std::nullopt;
      }
      pair = pair * 16 + digit;
    }
    uuid[byte++] = static_cast<std::uint8_t>(pair);
  }
  return uuid;
}

std::string to_string(const Uuid& uuid) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[uuid[i] >> 4U]);
    out.push_back(kHex[uuid[i] & 0x0FU]);
  }
  return out;
}

namespace {

// OpenSSL 3 looks an implicitly named algorithm up (under a lock) on every use; fetching
// SHA-1 once keeps uuid_v5 off that path. Immutable after the first call.
const EVP_MD* sha1() {
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(
      EVP_MD_fetch(nullptr, "SHA1", nullptr), &EVP_MD_free);
  return md.get();
}

}  // namespace

Uuid uuid_v5(const Uuid& name_space, std::string_view name) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // SHA-1 cannot fail on valid input; a failure here means OpenSSL is unusable.
  if (!context || sha1() == nullptr || EVP_DigestInit_ex(context.get(), sha1(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), name_space.data(), name_space.size()) != 1 ||
      EVP_DigestUpdate(context.get(), name.data(), name.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1 || length < 16) {
    throw std::runtime_error("OpenSSL SHA-1 failed");
  }
  Uuid uuid{};
  for (std::size_t i = 0; i < uuid.size(); ++i)
    uuid[i] = digest[i];
  uuid[6] = static_cast<std::uint8_t>((uuid[6] & 0x0FU) | 0x50U);  // version 5
  uuid[8] = static_cast<std::uint8_t>((uuid[8] & 0x3FU) | 0x80U);  // RFC 4122 variant
  return uuid;
}

}  // namespace adapter::map
