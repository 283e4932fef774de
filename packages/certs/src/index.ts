export { ensureCerts, certPaths, DEFAULT_DIR, DEFAULT_NAMES, type CertPaths, type EnsureOptions, type EnsureResult } from './ensure.js';
export { checkCerts, type CertCheckReport, type CertCheckItem, type CheckLevel } from './check.js';
export { trustInstructions } from './trust.js';
export { parseName, type CertName } from './names.js';
export { LOCAL_CONSTRAINTS, type NameConstraints } from './name-constraints.js';
export { RSA_BITS, LEAF_DAYS, CA_DAYS } from './x509.js';
export { KEY_MODE } from './files.js';
export { CertsError, BadNameError, WouldOverwriteError, HalfPairError, BadKeyError, BadCertError, LockTimeoutError, KeyDirError } from './errors.js';
