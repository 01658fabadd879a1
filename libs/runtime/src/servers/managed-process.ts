import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { waitFor } from './ports.js';

export interface ManagedProcessOptions {
  /** name used in errors and logs */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** file that receives the process's stdout and stderr; default: discarded */
  logFile?: string;
  /** resolves true once the process serves; polled after each start */
  ready: () => Promise<boolean>;
  /** ms to wait for `ready`; default 30_000 */
  readyTimeoutMs?: number;
  /** ms between SIGTERM and SIGKILL on stop; default 10_000 */
  stopTimeoutMs?: number;
  /**
   * run in its own process group, so a Ctrl-C in the terminal reaches only the parent, which then
   * stops its children in order; default false
   */
  detached?: boolean;
}

/** Children still running; killed if this process exits without stopping them (crash, process.exit). */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

/** A server process we start, wait for, stop, kill and restart — influxd, redis, our own apps. */
export class ManagedProcess {
  readonly options: ManagedProcessOptions;
  #child: ChildProcess | undefined;
  #log: WriteStream | undefined;
  #exited: Promise<number | null> = Promise.resolve(null);
  #lastOutput: string[] = [];

  constructor(options: ManagedProcessOptions) {
    this.options = options;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { command, args, cwd, env, logFile, name } = this.options;
    this.#log ??= logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
    const child = spawn(command, args, {
      cwd,
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.options.detached ?? false,
    });
    this.#child = child;
    track(child);
    this.#lastOutput = [];
    const capture = (chunk: Buffer) => {
      this.#log?.write(chunk);
      this.#lastOutput.push(chunk.toString());
      if (this.#lastOutput.length > 50) this.#lastOutput.shift();
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', (err) => {
        this.#lastOutput.push(String(err));
        resolve(-1);
      });
    });
    let died = false;
    void this.#exited.then(() => (died = true));
    await waitFor(
      name,
      async () => {
        if (died) throw new Error('exited');
        return this.options.ready();
      },
      this.options.readyTimeoutMs ?? 30_000,
      100,
      () => died, // a process that exited during start fails at once, not after the whole timeout
    ).catch((err: Error) => {
      const reason = died ? `${name} exited during start` : err.message;
      throw new Error(`${reason}; last output:\n${this.#lastOutput.join('').slice(-2000)}`);
    });
    if (died) throw new Error(`${name} exited during start; last output:\n${this.#lastOutput.join('').slice(-2000)}`);
  }

  /** SIGTERM, then SIGKILL after `stopTimeoutMs`. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.options.stopTimeoutMs ?? 10_000);
    await this.#exited;
    clearTimeout(timer);
  }

  /** SIGKILL: the process gets no chance to clean up (crash tests). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the process and closes its log. */
  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => (this.#log ? this.#log.end(resolve) : resolve()));
    this.#log = undefined;
  }

  /** The last lines the process printed (for error messages). */
  recentOutput(): string {
    return this.#lastOutput.join('');
  }
}
