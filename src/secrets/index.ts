export { Keyring, type ResolvedSecret, resolveSecretKey, SECRET_KEY_FILE } from './keyring.js';
export { keyIdOf, SecretBox, SecretBoxError, type SecretKey } from './secret-box.js';
