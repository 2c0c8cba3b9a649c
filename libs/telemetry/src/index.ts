export * from './logger.js';
export * from './propagation.js';
export * from './span.js';
export * from './metrics.js';
export * from './sdk.js';
