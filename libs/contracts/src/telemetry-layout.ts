import { MAX_TELEMETRY_EARLIER } from './messages/edge.js';

/**
 * Where the parts of one `telemetry` payload lie in its bytes, as `scanTelemetry` found them: the
 * envelope's values, and per interval its timestamp and its sensor entries (name and number
 * literal as byte offsets). One layout is reused from message to message.
 */
export class TelemetryLayout {
  /** the payload the offsets below point into */
  payload: Uint8Array = new Uint8Array(0);
  deviceStart = 0;
  deviceEnd = 0;
  ts = 0;
  seq = 0;
  /** -1 when absent */
  intervalMs = -1;
  /** intervals, oldest first: every `earlier` row, then the latest (`values` at `ts`) */
  rows = 0;
  rowTs = new Float64Array(MAX_TELEMETRY_EARLIER + 1);
  /** the timestamp's literal, or -1 when it is not plain digits (then write `rowTs`) */
  rowTsStart = new Int32Array(MAX_TELEMETRY_EARLIER + 1);
  rowTsEnd = new Int32Array(MAX_TELEMETRY_EARLIER + 1);
  /** row r's values are entries rowFirst[r] .. rowFirst[r] + rowCount[r] - 1 */
  rowFirst = new Int32Array(MAX_TELEMETRY_EARLIER + 1);
  rowCount = new Int32Array(MAX_TELEMETRY_EARLIER + 1);
  /** entries: a sensor name (between the quotes) and its number literal */
  entries = 0;
  keyStart = new Int32Array(64);
  keyEnd = new Int32Array(64);
  numStart = new Int32Array(64);
  numEnd = new Int32Array(64);
  /** some sensor name is all digits (JSON.parse would list it before the others) */
  digitKeys = false;

  /** Room for one more entry. */
  grow(): void {
    if (this.entries < this.keyStart.length) return;
    const more = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.keyStart = more(this.keyStart);
    this.keyEnd = more(this.keyEnd);
    this.numStart = more(this.numStart);
    this.numEnd = more(this.numEnd);
  }
}
