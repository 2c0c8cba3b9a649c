/** The repo-watcher process: reads config once, connects NATS, provisions, starts the watcher and HTTP, stops on signals. */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigError, describeConfig, loadConfig } from '@driftless/config';
import { connectNats, provision } from '@driftless/nats';
import { createLogger, startTelemetry } from '@driftless/telemetry';
import { configSpec } from './config.js';
import { startWatcher } from './watcher.js';

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`repo-watcher: Git commits → desired state on NATS.\n\nEnvironment:\n${describeConfig(configSpec)}\n`);
    return;
  }
  let config;
  try {
    config = loadConfig(configSpec, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const log = createLogger({ name: 'repo-watcher', level: config.logLevel });
  const telemetry = startTelemetry({ serviceName: 'driftless-repo-watcher', serviceVersion: '0.1.0', env: process.env });
  const nc = await connectNats({
    servers: config.natsUrls,
    name: 'repo-watcher',
    ...(config.natsCredsFile === undefined ? {} : { credsFile: config.natsCredsFile }),
    log,
  });
  const nats = await provision(nc, { log });
  const holderId = config.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const watcher = await startWatcher({ settings: config, nc, nats, holderId, log });
  await watcher.app.listen({ host: config.httpHost, port: config.httpPort });
  log.info({ repos: config.repos.map((r) => r.name), holderId, port: config.httpPort }, 'repo-watcher started');

  let isStopping = false;
  const stop = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    log.info({ signal }, 'stopping');
    await watcher.stop();
    await nc.drain();
    await telemetry.shutdown();
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`repo-watcher failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
