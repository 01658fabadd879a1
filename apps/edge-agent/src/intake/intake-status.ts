import type { DeviceAddress } from '@takt/contracts';
import type { IntakeFault, IntakeStatus, SourceHandlers } from './source.js';

type Report = NonNullable<SourceHandlers['status']>;

/**
 * One device's intake bookkeeping, shared by the fieldbus sources: link state, refused values, and
 * the holes a lost link or failed reads leave in its samples (a hole is closed — counted and
 * reported — by the first good reading after it).
 */
export class DeviceIntakeStatus {
  readonly address: DeviceAddress;
  readonly #status: IntakeStatus;
  readonly #report: Report | undefined;
  #lastGoodAt: number | undefined;
  #holeOpen = false;

  constructor(
    address: DeviceAddress,
    protocol: IntakeStatus['protocol'],
    endpoint: string,
    report: Report | undefined,
  ) {
    this.address = address;
    this.#status = { protocol, endpoint, connected: false, badValues: 0, gaps: 0 };
    this.#report = report;
  }

  get status(): IntakeStatus {
    return { ...this.#status };
  }

  /** A good reading at `at`: closes an open hole. */
  good(at: number): void {
    if (this.#holeOpen && this.#lastGoodAt !== undefined) {
      this.#status.gaps++;
      this.#status.lastGap = { from: this.#lastGoodAt, to: at };
      this.#holeOpen = false;
      this.#send();
    }
    this.#holeOpen = false;
    // poll groups of one device share a link: a slow group's reading may be handed in after a faster group's later one
    this.#lastGoodAt = Math.max(this.#lastGoodAt ?? at, at);
  }

  /** A reading that did not come (timeout, exception, lost link, bad status): opens a hole. */
  missed(fault?: IntakeFault): void {
    this.#holeOpen = true;
    if (fault) this.#send(fault);
  }

  /** Values refused (bad quality, exception, not a finite number). */
  refused(count: number, fault: IntakeFault): void {
    this.#status.badValues += count;
    this.#send(fault);
  }

  /** A fault that is not a value: a node that does not exist, a refused session. */
  fault(fault: IntakeFault): void {
    this.#send(fault);
  }

  /** The link to the server came up or went down. */
  link(connected: boolean, fault?: IntakeFault): void {
    if (!connected) this.#holeOpen = true;
    if (this.#status.connected === connected && !fault) return;
    this.#status.connected = connected;
    this.#send(fault);
  }

  #send(fault?: IntakeFault): void {
    this.#report?.(this.address, this.status, fault);
  }
}
