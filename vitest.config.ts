import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['libs/*', 'apps/*', 'simulators/*', 'test', 'bench'],
    // Integration tests start real servers (influxd, brokers, redis) on 2 cores: keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
