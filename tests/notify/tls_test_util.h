// A throwaway PKI for HTTPS tests, made with the `openssl` command once per test process in a temporary directory:
// a CA, a server certificate for localhost and 127.0.0.1 signed by it, and one for another name.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#include "fakes/http_sink.h"

namespace incidentd::testing {

struct TestPki {
  std::string dir;
  std::string ca_file;  // the CA certificate, PEM
  SinkTls localhost;    // valid for DNS:localhost and IP:127.0.0.1
  SinkTls other_name;   // valid for DNS:other.example only

  ~TestPki() {
    std::error_code ignored;
    if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
  }
};

inline std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline const TestPki& Pki() {
  static TestPki pki;
  static std::once_flag once;
  std::call_once(once, [] {
    TestPki* p = &pki;
    char tmpl[] = "/tmp/incidentd-tls-XXXXXX";
    p->dir = mkdtemp(tmpl);
    const std::string& d = p->dir;
    std::ofstream(d + "/openssl.cnf") << "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = x\n"
                                         "[ca]\nbasicConstraints = critical,CA:TRUE\n"
                                         "keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n"
                                         "[leaf]\nbasicConstraints = critical,CA:FALSE\n"
                                         "keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n";
    const std::string req = "openssl req -x509 -config " + d + "/openssl.cnf -days 2 -nodes -newkey ec " +
                            "-pkeyopt ec_paramgen_curve:prime256v1 ";
    const std::string quiet = " >" + d + "/openssl.log 2>&1";
    auto run = [&](const std::string& cmd) { EXPECT_EQ(std::system((cmd + quiet).c_str()), 0) << cmd; };
    run(req + "-extensions ca -subj /CN=incidentd-test-ca -keyout " + d + "/ca.key -out " + d + "/ca.pem");
    auto leaf = [&](const std::string& name, const std::string& san) {
      run(req + "-extensions leaf -subj /CN=" + name + " -addext subjectAltName=" + san + " -CA " + d +
          "/ca.pem -CAkey " + d + "/ca.key -keyout " + d + "/" + name + ".key -out " + d + "/" + name + ".pem");
      return SinkTls{ReadFileOrEmpty(d + "/" + name + ".pem"), ReadFileOrEmpty(d + "/" + name + ".key")};
    };
    p->ca_file = d + "/ca.pem";
    p->localhost = leaf("localhost", "DNS:localhost,IP:127.0.0.1");
    p->other_name = leaf("other.example", "DNS:other.example");
  });
  return pki;
}

}  // namespace incidentd::testing
