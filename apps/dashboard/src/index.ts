export { startDashboard, createApp, type Dashboard, type StartDashboardOptions } from './app.js';
export { dashboardConfigSchema, type DashboardConfig, type DashboardConfigInput } from './config.js';
export { ROLES, roleAllows, type Role } from './auth/roles.js';
export { DashboardError, type DashboardErrorCode } from './http/errors.js';
export type { DeviceView, DeviceStatus } from './plant/device-registry.js';
export type { Alert } from './plant/alert-book.js';
export type { InspectionView } from './plant/inspection-log.js';
export type { DeviceHistory, SeriesStore } from './plant/device-history.js';
