export * from './names.js';
export * from './subjects.js';
export * from './health.js';
export * from './schemas.js';
export * from './events.js';
export * from './errors.js';
export * from './commands.js';
