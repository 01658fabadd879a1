import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError } from '@takt/runtime';
import { verifyArtifact } from './artifact.js';
import { writeFileAtomic } from '@takt/runtime';
import { loadTrustedKeys, readPrivateKeyFile, writeSigningKey } from './keys.js';
import { serveSigner } from './signer.js';
import { parseManifest } from './manifest.js';
import { generateSigningKey, signManifest, verifyManifest } from './signing.js';

export const USAGE = `takt-registry — model signing keys and manifests

  takt-registry keygen --key-id ID --out DIR
      new Ed25519 key pair: DIR/ID.key (private, 0600) and DIR/ID.pub (public)
  takt-registry sign --manifest FILE --key FILE --key-id ID [--out FILE]
      sign a manifest (replaces any signature); writes back to --manifest unless --out
  takt-registry verify --manifest FILE --artifact FILE --trusted DIR [--variant NAME]
      check signature against DIR/*.pub and the artifact's size and SHA-256
  takt-registry signer --key FILE --key-id ID --socket PATH
      hold the private key (mode 0600) in this process and sign manifests and rollback grants
      for whoever can open the Unix socket PATH (created 0600): the trainer service's signer
`;

/** A command's result: text for stdout. Failures throw (`RegistryError` carries a `code`). */
export type CommandResult = string;

function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing --${name}`);
  return v;
}

async function keygen(args: string[]): Promise<CommandResult> {
  const { values } = parseArgs({ args, options: { 'key-id': { type: 'string' }, out: { type: 'string' } } });
  const key = generateSigningKey(required(values, 'key-id'));
  const { privateFile, publicFile } = await writeSigningKey(required(values, 'out'), key);
  return `private key: ${privateFile}\npublic key:  ${publicFile}\n`;
}

async function sign(args: string[]): Promise<CommandResult> {
  const { values } = parseArgs({
    args,
    options: {
      manifest: { type: 'string' },
      key: { type: 'string' },
      'key-id': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const file = required(values, 'manifest');
  const manifest = parseManifest(await readFile(file));
  const signed = signManifest(manifest, await readPrivateKeyFile(required(values, 'key')), required(values, 'key-id'));
  const out = values.out ?? file;
  await writeFileAtomic(out, `${JSON.stringify(signed, null, 2)}\n`);
  return `signed ${signed.name} v${signed.version} with key ${signed.signature?.keyId} → ${out}\n`;
}

async function verify(args: string[]): Promise<CommandResult> {
  const { values } = parseArgs({
    args,
    options: {
      manifest: { type: 'string' },
      artifact: { type: 'string' },
      trusted: { type: 'string' },
      variant: { type: 'string' },
    },
  });
  const manifest = parseManifest(await readFile(required(values, 'manifest')));
  verifyManifest(manifest, await loadTrustedKeys(required(values, 'trusted')));
  verifyArtifact(manifest, await readFile(required(values, 'artifact')), values.variant);
  return `ok: ${manifest.name} v${manifest.version} signed by ${manifest.signature?.keyId}, artifact verified\n`;
}

/** Serves signing on a Unix socket until SIGTERM or SIGINT. */
async function signer(args: string[]): Promise<CommandResult> {
  const { values } = parseArgs({
    args,
    options: { key: { type: 'string' }, 'key-id': { type: 'string' }, socket: { type: 'string' } },
  });
  const key = { keyId: required(values, 'key-id'), privateKeyPem: await readPrivateKeyFile(required(values, 'key')) };
  const server = await serveSigner({ socketPath: required(values, 'socket'), key });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await server.close();
  return 'signer stopped\n';
}

/** Runs one `takt-registry` command. */
export async function runCommand(argv: string[]): Promise<CommandResult> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'keygen':
      return keygen(rest);
    case 'sign':
      return sign(rest);
    case 'verify':
      return verify(rest);
    case 'signer':
      return signer(rest);
    case undefined:
    case 'help':
    case '--help':
      return USAGE;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}
