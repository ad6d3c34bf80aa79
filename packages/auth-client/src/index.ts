export {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_TYPE,
  type AccessTokenAlgorithm,
  AccessTokenClaims,
  type VerifiedAccessToken,
} from './claims.js';
export { type LoadRevocationsOptions, loadRevocations } from './load-revocations.js';
export { RevocationList, type RevocationListOptions } from './revocation-list.js';
export { createVerifier, type KeySource, type Verifier, type VerifierOptions } from './verifier.js';
