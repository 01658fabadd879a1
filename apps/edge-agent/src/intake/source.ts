import type { CameraFrame, DeviceAddress, DeviceState, RawSampleBatch } from '@takt/contracts';

/** A fieldbus intake's report on one device: its link, the values it refused, the holes in its samples. */
export type IntakeStatus = NonNullable<DeviceState['intake']>;

/** A fieldbus fault on one device (a Modbus exception, a bad status code, a lost link), named for its state. */
export interface IntakeFault {
  code: string;
  message: string;
  at: number;
}

/** What an intake hands the agent. */
export interface SourceHandlers {
  raw(address: DeviceAddress, batch: RawSampleBatch): void;
  camera(address: DeviceAddress, frame: CameraFrame): void;
  /** a fieldbus intake's status of a device changed (connected, gap closed, values refused) */
  status?(address: DeviceAddress, status: IntakeStatus, fault?: IntakeFault): void;
  /** ms from a fieldbus value change to the handover of the batch that carries it (OPC UA: from its source timestamp; Modbus: from the poll that saw it) */
  latency?(address: DeviceAddress, protocol: IntakeStatus['protocol'], ms: number): void;
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
