/**
 * How to make the agent (and curl, Node) trust the CA, as text for stderr. The agent's TLS uses OpenSSL's default
 * verify paths, overridable by SSL_CERT_FILE/SSL_CERT_DIR; the recipe hashes the CA into /etc/ssl/certs and the custom
 * OpenSSL's /root/install/openssl/certs with c_rehash (agent-protocol.md §1.3, §2.3; recorder-recipe.md).
 */
export function trustInstructions(caCert: string, leafCert?: string): string {
  return [
    `To trust the CA ${caCert}:`,
    `  the agent (OpenSSL 1.1.1, libcurl), either for one run:`,
    `    SSL_CERT_FILE=${caCert} <agent command>`,
    `  or system-wide, as the recipe does:`,
    `    sudo cp ${caCert} /etc/ssl/certs/flowmill-ca.pem && sudo c_rehash /etc/ssl/certs`,
    `    sudo mkdir -p /root/install/openssl/certs && sudo cp ${caCert} /root/install/openssl/certs/flowmill-ca.pem && sudo c_rehash /root/install/openssl/certs`,
    `  Node:  NODE_EXTRA_CA_CERTS=${caCert} node ...`,
    `  curl:  curl --cacert ${caCert} https://localhost:8001/...`,
    ...(leafCert ? [`  check: openssl verify -CAfile ${caCert} ${leafCert}`] : []),
    '',
  ].join('\n');
}
