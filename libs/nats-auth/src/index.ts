export * from './operator.js';
export * from './permissions.js';
export * from './credentials.js';
export * from './push.js';
export * from './material.js';
