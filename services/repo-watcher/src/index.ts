export { buildApp, type AppDeps, type WatchedRepo } from './app.js';
export { configSpec, type RepoSpec, type WatcherConfig } from './config.js';
export { startWatcher, type Watcher, type WatcherDeps, type WatcherSettings } from './watcher.js';
export { RepoSync, type RepoStatus, type SyncOutcome } from './repo-sync.js';
