// Test support: keys, self-signed certificates and a temporary folder, made with OpenSSL at
// test time so no secret material is checked in.
#pragma once

#include <openssl/evp.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace adapter::deliver::testing {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey generate_rsa_key(unsigned bits);
Pkey generate_ec_key(const char* curve);  // "P-256", "P-384"

// PKCS#8 PEM; encrypted with AES-256-CBC when a password is given.
std::string private_key_pem(EVP_PKEY* key, std::string_view password = {});
std::string public_key_pem(EVP_PKEY* key);
Pkey read_public_key_pem(const std::string& pem);

// A self-signed CA:TRUE certificate (its own trust anchor) valid for an hour, with the given
// subjectAltName, e.g. "IP:127.0.0.1,DNS:localhost".
std::string self_signed_certificate_pem(EVP_PKEY* key, std::string_view common_name,
                                        std::string_view subject_alt_names);

// A fresh folder under the system temp folder, removed with everything in it.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  std::string write(std::string_view name, std::string_view content) const;  // returns the path

 private:
  std::filesystem::path path_;
};

// Server and client certificates for TLS tests, written to a TempDir.
struct TestPki {
  TempDir dir;
  std::string server_certificate;  // SAN IP:127.0.0.1, DNS:localhost
  std::string server_key;
  std::string wrong_host_certificate;  // SAN DNS:other.example only
  std::string wrong_host_key;
  std::string client_certificate;
  std::string client_key;  // encrypted with client_key_password
  std::string client_key_password = "client-key-secret";
  std::string other_client_certificate;  // a client certificate the server does not trust
  std::string other_client_key;          // unencrypted

  TestPki();
};

// Verifies a compact JWS (RS384 or ES384 in JOSE form) with a public key.
bool verify_jws(const std::string& jws, EVP_PKEY* public_key, bool ecdsa);

}  // namespace adapter::deliver::testing
