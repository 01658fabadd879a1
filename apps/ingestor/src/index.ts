export { Ingestor } from './ingestor.js';
export {
  loadIngestorConfig,
  ingestorConfigSchema,
  DEFAULT_FILTERS,
  INGESTED_CHANNELS,
  type IngestorConfig,
} from './config.js';
