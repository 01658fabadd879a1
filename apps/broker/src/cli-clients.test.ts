// Test support, not a test: drives Debian's mosquitto_pub / mosquitto_sub against a broker.
import { execFile, spawn } from 'node:child_process';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs mosquitto_pub (or any client) to completion; never rejects. */
export function runClient(command: string, args: string[], input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 10_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * Starts mosquitto_sub and resolves once its SUBACK arrived; `done` resolves with its output when it
 * exits (after `-C count` messages or `-W` seconds).
 */
export async function startSubscriber(args: string[]): Promise<{ done: Promise<CliResult>; kill(): void }> {
  // stdbuf: mosquitto_sub's stdout is block-buffered into a pipe; line buffering shows the SUBACK at once
  const child = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-d', ...args]);
  let stdout = '';
  let stderr = '';
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mosquitto_sub got no SUBACK: ${stdout} ${stderr}`)), 5000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('received SUBACK')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    void done.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { done, kill: () => child.kill() };
}

/** The message lines mosquitto_sub -v printed (its -d debug lines removed). */
export const messageLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('takt/'));
