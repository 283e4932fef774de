/**
 * How to make the agent (and curl, Node) trust the CA, as text for stderr.
 * - The agent's intake TLS uses OpenSSL's default verify paths, which SSL_CERT_FILE/SSL_CERT_DIR override
 *   (agent-protocol.md §2.3); checked with openssl s_client here.
 * - Its authz fetch goes through libcurl, whose compiled-in CA bundle (Debian: /etc/ssl/certs/ca-certificates.crt)
 *   wins over SSL_CERT_FILE: Debian's curl 7.88 ignores SSL_CERT_FILE (tested). Hence the recipe's c_rehash into
 *   /etc/ssl/certs plus, on Amazon Linux, the copy into ca-certificates.crt (recorder-recipe.md); or plain-HTTP authz.
 */
export function trustInstructions(caCert: string, leafCert?: string): string {
  return [
    `To trust the CA ${caCert}:`,
    `  agent, intake TLS (OpenSSL default verify paths):  SSL_CERT_FILE=${caCert} <agent command>`,
    `  agent, authz over HTTPS (libcurl uses its compiled-in bundle, not SSL_CERT_FILE): install the CA system-wide,`,
    `  as the recipe does, or run mock-authz --http with --authz-server=http://127.0.0.1:8001:`,
    `    sudo cp ${caCert} /etc/ssl/certs/flowmill-ca.pem && sudo c_rehash /etc/ssl/certs`,
    `    sudo mkdir -p /root/install/openssl/certs && sudo cp ${caCert} /root/install/openssl/certs/flowmill-ca.pem && sudo c_rehash /root/install/openssl/certs`,
    `    the bundle file too (Debian: sudo cp ${caCert} /usr/local/share/ca-certificates/flowmill-ca.crt && sudo update-ca-certificates;`,
    `    Amazon Linux: append it to /etc/ssl/certs/ca-certificates.crt)`,
    `  Node:  NODE_EXTRA_CA_CERTS=${caCert} node ...`,
    `  curl:  curl --cacert ${caCert} https://localhost:8001/...   (or CURL_CA_BUNDLE=${caCert}; curl ignores SSL_CERT_FILE)`,
    ...(leafCert ? [`  check: openssl verify -CAfile ${caCert} ${leafCert}`] : []),
    `  untrust: remove those copies (and rerun c_rehash / update-ca-certificates --fresh)`,
    '',
  ].join('\n');
}
