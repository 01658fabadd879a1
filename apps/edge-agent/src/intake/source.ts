import type { CameraFrame, DeviceAddress, RawSampleBatch } from '@takt/contracts';

/** What an intake hands the agent. */
export interface SourceHandlers {
  raw(address: DeviceAddress, batch: RawSampleBatch): void;
  camera(address: DeviceAddress, frame: CameraFrame): void;
}

/** Where raw samples and camera frames come from (MQTT on the plant network, a file replay, a fieldbus…). */
export interface Source {
  start(handlers: SourceHandlers): Promise<void>;
  stop(): Promise<void>;
  /** messages refused (bad topic, bad payload) since start */
  readonly rejected: number;
}

/** Which devices an agent serves: an explicit list, or every device under a site/line. */
export type DeviceSelector = { devices: DeviceAddress[] } | { filter: { site?: string; line?: string } };
