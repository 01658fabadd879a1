import type { Logger } from '@takt/runtime';
import type { HashSlots } from '../auth/hash-slots.js';
import type { LoginLimiter } from '../auth/login-limiter.js';
import type { SessionStore } from '../auth/session-store.js';
import type { UserDirectory } from '../auth/user-directory.js';
import type { SseHub } from '../live/sse-hub.js';
import type { SeriesStore } from '../plant/device-history.js';
import type { MqttFeed } from '../plant/mqtt-feed.js';
import type { Plant } from '../plant/plant.js';
import type { TrainerClient } from '../trainer/trainer-client.js';

/** Everything the routes use, built once by `startDashboard`. */
export interface RouteContext {
  logger: Logger;
  users: UserDirectory;
  sessions: SessionStore;
  limiter: LoginLimiter;
  /** password checks (scrypt) allowed at once */
  hashSlots: HashSlots;
  plant: Plant;
  feed: MqttFeed;
  hub: SseHub;
  trainer?: TrainerClient;
  store?: SeriesStore;
  session: { idleMs: number; maxAgeMs: number; secureCookie: boolean };
}
