import { ContractError, decodeManifest, type ModelManifest } from '@takt/contracts';
import { RegistryError } from './errors.js';

/** Decodes and validates a manifest (JSON text, bytes or object); throws `RegistryError('INVALID_MANIFEST')`. */
export function parseManifest(input: string | Uint8Array | object): ModelManifest {
  try {
    return decodeManifest(input);
  } catch (err) {
    if (err instanceof ContractError)
      throw new RegistryError('INVALID_MANIFEST', `invalid manifest: ${err.message} [${err.code}]`, { cause: err });
    throw err;
  }
}
