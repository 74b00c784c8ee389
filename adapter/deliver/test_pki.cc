#include "adapter/deliver/test_pki.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <stdexcept>

#include "adapter/deliver/base64url.h"

namespace adapter::deliver::testing {

namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct ExtensionFree {
  void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
struct BnFree {
  void operator()(BIGNUM* number) const { BN_free(number); }
};
using Bignum = std::unique_ptr<BIGNUM, BnFree>;
struct OpenSslFree {
  void operator()(unsigned char* bytes) const { OPENSSL_free(bytes); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* signature) const { ECDSA_SIG_free(signature); }
};

// Test set-up failures are bugs in the test machinery, not outcomes to test: throw.
void require(bool condition, const char* what) {
  if (!condition) {
    ERR_clear_error();
    throw std::runtime_error(std::string("OpenSSL test helper failed: ") + what);
  }
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return {data, static_cast<std::size_t>(size)};
}

Bio memory_bio() {
  Bio bio(BIO_new(BIO_s_mem()));
  require(bio != nullptr, "BIO_new");
  return bio;
}

void add_extension(X509* certificate, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  const std::unique_ptr<X509_EXTENSION, ExtensionFree> extension(
      X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  require(extension != nullptr, "X509V3_EXT_conf_nid");
  require(X509_add_ext(certificate, extension.get(), -1) == 1, "X509_add_ext");
}

}  // namespace

Pkey generate_rsa_key(unsigned bits) {
  Pkey key(EVP_RSA_gen(bits));
  require(key != nullptr, "EVP_RSA_gen");
  return key;
}

Pkey generate_ec_key(const char* curve) {
  Pkey key(EVP_EC_gen(curve));
  require(key != nullptr, "EVP_EC_gen");
  return key;
}

std::string private_key_pem(EVP_PKEY* key, std::string_view password) {
  const Bio bio = memory_bio();
  const bool encrypt = !password.empty();
  require(PEM_write_bio_PrivateKey(
              bio.get(), key, encrypt ? EVP_aes_256_cbc() : nullptr,
              encrypt ? reinterpret_cast<const unsigned char*>(password.data()) : nullptr,
              static_cast<int>(password.size()), nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  return drain(bio.get());
}

std::string public_key_pem(EVP_PKEY* key) {
  const Bio bio = memory_bio();
  require(PEM_write_bio_PUBKEY(bio.get(), key) == 1, "PEM_write_bio_PUBKEY");
  return drain(bio.get());
}

Pkey read_public_key_pem(const std::string& pem) {
  const Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  require(bio != nullptr, "BIO_new_mem_buf");
  Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  require(key != nullptr, "PEM_read_bio_PUBKEY");
  return key;
}

std::string self_signed_certificate_pem(EVP_PKEY* key, std::string_view common_name,
                                        std::string_view subject_alt_names) {
  const std::unique_ptr<X509, X509Free> certificate(X509_new());
  require(certificate != nullptr, "X509_new");
  X509* cert = certificate.get();
  require(X509_set_version(cert, X509_VERSION_3) == 1, "X509_set_version");
  std::array<unsigned char, 8> serial{};
  require(RAND_bytes(serial.data(), static_cast<int>(serial.size())) == 1, "RAND_bytes");
  serial[0] &= 0x7FU;  // keep the serial positive
  const Bignum serial_number(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  require(serial_number != nullptr, "BN_bin2bn");
  require(BN_to_ASN1_INTEGER(serial_number.get(), X509_get_serialNumber(cert)) != nullptr,
          "BN_to_ASN1_INTEGER");
  require(X509_gmtime_adj(X509_getm_notBefore(cert), -60) != nullptr, "notBefore");
  require(X509_gmtime_adj(X509_getm_notAfter(cert), 3600) != nullptr, "notAfter");
  require(X509_set_pubkey(cert, key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert);
  const std::string cn(common_name);
  require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                     0) == 1,
          "X509_NAME_add_entry_by_txt");
  require(X509_set_issuer_name(cert, name) == 1, "X509_set_issuer_name");
  add_extension(cert, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert, NID_subject_key_identifier, "hash");
  add_extension(cert, NID_subject_alt_name, std::string(subject_alt_names));
  require(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign");

  const Bio bio = memory_bio();
  require(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return drain(bio.get());
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "deliver-test-XXXXXX").string();
  require(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(std::string_view name, std::string_view content) const {
  const std::filesystem::path file = path_ / name;
  std::ofstream out(file, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  require(out.good(), "writing a test file");
  return file.string();
}

TestPki::TestPki() {
  const Pkey server = generate_ec_key("P-256");
  server_certificate = dir.write(
      "server.pem",
      self_signed_certificate_pem(server.get(), "127.0.0.1", "IP:127.0.0.1,DNS:localhost"));
  server_key = dir.write("server-key.pem", private_key_pem(server.get()));

  const Pkey wrong_host = generate_ec_key("P-256");
  wrong_host_certificate = dir.write(
      "wrong-host.pem",
      self_signed_certificate_pem(wrong_host.get(), "other.example", "DNS:other.example"));
  wrong_host_key = dir.write("wrong-host-key.pem", private_key_pem(wrong_host.get()));

  const Pkey client = generate_ec_key("P-256");
  client_certificate = dir.write(
      "client.pem",
      self_signed_certificate_pem(client.get(), "deliver-test-client", "DNS:deliver-test-client"));
  client_key = dir.write("client-key.pem", private_key_pem(client.get(), client_key_password));

  const Pkey other_client = generate_ec_key("P-256");
  other_client_certificate =
      dir.write("other-client.pem",
                self_signed_certificate_pem(other_client.get(), "intruder", "DNS:intruder"));
  other_client_key = dir.write("other-client-key.pem", private_key_pem(other_client.get()));
}

bool verify_jws(const std::string& jws, EVP_PKEY* public_key, bool ecdsa) {
  const std::size_t last_dot = jws.rfind('.');
  if (last_dot == std::string::npos) return false;
  const std::string signing_input = jws.substr(0, last_dot);
  const auto jose = base64url_decode(std::string_view(jws).substr(last_dot + 1));
  if (!jose) return false;
  std::vector<unsigned char> signature(jose->begin(), jose->end());
  if (ecdsa) {
    // JOSE r || s back to the DER SEQUENCE OpenSSL verifies.
    if (signature.size() != 96) return false;
    const std::unique_ptr<ECDSA_SIG, EcdsaSigFree> parts(ECDSA_SIG_new());
    Bignum r(BN_bin2bn(signature.data(), 48, nullptr));
    Bignum s(BN_bin2bn(signature.data() + 48, 48, nullptr));
    if (parts == nullptr || r == nullptr || s == nullptr ||
        ECDSA_SIG_set0(parts.get(), r.get(), s.get()) != 1) {
      return false;
    }
    static_cast<void>(r.release());  // now owned by `parts`
    static_cast<void>(s.release());
    unsigned char* der_bytes = nullptr;
    const int der_length = i2d_ECDSA_SIG(parts.get(), &der_bytes);
    const std::unique_ptr<unsigned char, OpenSslFree> der(der_bytes);
    if (der_length <= 0) return false;
    signature.assign(der.get(), der.get() + der_length);
  }
  const std::unique_ptr<EVP_MD_CTX, MdCtxFree> context(EVP_MD_CTX_new());
  const bool valid =
      context != nullptr &&
      EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha384(), nullptr, public_key) == 1 &&
      EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) == 1;
  ERR_clear_error();
  return valid;
}

}  // namespace adapter::deliver::testing
