export * from './errors.js';
export * from './paths.js';
export * from './ports.js';
export { openMirror, redactUrl } from './adapters/nodegit-mirror.js';
