/**
 * How to make the agent (and curl, Node) trust the CA, as text for stderr. One truth, the same in every README:
 * - The agent's intake TLS uses OpenSSL's default verify paths, which SSL_CERT_FILE/SSL_CERT_DIR override
 *   (docs/agent-protocol.md §2.3, channel/internal/ssl_context.cc@3598385a); checked with openssl s_client in the tests.
 * - Its authz fetch goes through libcurl with no CA option set (util/restful.inl@3598385a:47-63), so the CA store
 *   compiled into its curl applies: Debian's curl 7.88 ignores SSL_CERT_FILE (tested), `--cacert` works for curl
 *   itself only. So a real agent gets plain-http authz by default (recipe, agent-runner); `--authz-tls` opts into
 *   https, and then the CA must be installed system-wide (the same step agent-runner's authzTrustSteps prints).
 */
export function trustInstructions(caCert: string, leafCert?: string): string {
  return [
    `To trust the CA ${caCert}:`,
    `  agent, intake TLS (OpenSSL default verify paths):  SSL_CERT_FILE=${caCert} <agent command>`,
    `  agent, authz: plain http by default (mock-authz --http, --authz-server=http://127.0.0.1:8001), nothing to trust.`,
    `    Over https (recipe --authz-tls) its libcurl ignores SSL_CERT_FILE: install the CA system-wide,`,
    `    sudo cp ${caCert} /usr/local/share/ca-certificates/flowmill-recipe-ca.crt && sudo update-ca-certificates`,
    `  curl:  curl --cacert ${caCert} https://localhost:8001/...   (or CURL_CA_BUNDLE=${caCert}; curl ignores SSL_CERT_FILE)`,
    `  Node:  NODE_EXTRA_CA_CERTS=${caCert} node ...`,
    ...(leafCert ? [`  check: openssl verify -CAfile ${caCert} ${leafCert}`] : []),
    `  untrust: sudo rm /usr/local/share/ca-certificates/flowmill-recipe-ca.crt && sudo update-ca-certificates --fresh`,
    '',
  ].join('\n');
}
