// An app: nothing imports it (tests and other projects start `takt-broker` as a process).
export type { BrokerConfig } from './config.js';
