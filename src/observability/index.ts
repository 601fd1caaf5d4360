export { type HealthCheck, HealthRegistry, type PartHealth, registerHealthRoutes } from './health.js';
export { redisHealthCheck, ruleEngineHealthCheck } from './health-parts.js';
export { installHttpMetrics, registerMetricsRoute } from './http-metrics.js';
export { FieldlineMetrics, type MetricsSources, type RuleEngineStats } from './metrics.js';
